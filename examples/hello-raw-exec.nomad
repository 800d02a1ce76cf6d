# A service that prints a line every second, run directly on the host by raw_exec.
# Try it on a dev agent:  nomad job run examples/hello-raw-exec.nomad
job "hello" {
  datacenters = ["dc1"]
  type        = "service"

  update {
    max_parallel     = 1
    min_healthy_time = "2s"
    healthy_deadline = "1m"
  }

  group "web" {
    count = 1

    network {
      port "http" {}
    }

    task "greeter" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "while true; do echo \"hello from ${NOMAD_ALLOC_NAME} on port ${NOMAD_PORT_http}\"; sleep 1; done"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
