# Alertmanager run by Nomad next to Prometheus (see alertmanager.yml for its configuration):
#   nomad job run -var config_file=/etc/prometheus/alertmanager.yml alertmanager.nomad
variable "config_file" {
  type    = string
  default = "/etc/prometheus/alertmanager.yml"
}

variable "listen" {
  type    = string
  default = "0.0.0.0:9093"
}

job "alertmanager" {
  datacenters = ["dc1"]
  type        = "service"

  group "alerting" {
    task "alertmanager" {
      driver = "raw_exec"

      config {
        command = "/usr/bin/prometheus-alertmanager"
        args = [
          "--config.file=${var.config_file}",
          "--storage.path=${NOMAD_TASK_DIR}/data",
          "--web.listen-address=${var.listen}",
          # One Alertmanager: no cluster gossip port.
          "--cluster.listen-address=",
        ]
      }

      resources {
        cpu    = 100
        memory = 128
      }
    }
  }
}
