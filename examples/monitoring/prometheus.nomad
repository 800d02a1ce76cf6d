# Prometheus run by Nomad, as the monitoring guide runs it: Debian's prometheus binary under
# raw_exec, its data in the task directory. The configuration file (see prometheus.yml) is read
# from the host:   nomad job run -var config_file=/etc/prometheus/nomad.yml prometheus.nomad
variable "config_file" {
  type    = string
  default = "/etc/prometheus/nomad.yml"
}

variable "listen" {
  type    = string
  default = "0.0.0.0:9090"
}

job "prometheus" {
  datacenters = ["dc1"]
  type        = "service"

  group "monitoring" {
    task "prometheus" {
      driver = "raw_exec"

      config {
        command = "/usr/bin/prometheus"
        args = [
          "--config.file=${var.config_file}",
          "--storage.tsdb.path=${NOMAD_TASK_DIR}/data",
          "--web.listen-address=${var.listen}",
        ]
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }
  }
}
