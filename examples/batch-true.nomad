# A batch job of many short tasks: each allocation runs /bin/true once and completes.
variable "count" {
  type    = number
  default = 10
}

job "batch-true" {
  datacenters = ["dc1"]
  type        = "batch"

  group "g" {
    count = var.count

    restart {
      attempts = 0
      mode     = "fail"
    }

    task "t" {
      driver = "raw_exec"

      config {
        command = "/bin/true"
      }

      resources {
        cpu    = 20
        memory = 10
      }
    }
  }
}
