# The telemetry block for agents scraped by Prometheus (add to each agent's configuration).
telemetry {
  collection_interval        = "1s"
  prometheus_metrics         = true
  publish_allocation_metrics = true
  publish_node_metrics       = true
}
