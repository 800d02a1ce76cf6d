// The files `nomad job init` writes. Comments are ours; the settings are those of Nomad's
// example, so that tutorials written for Nomad keep working line for line.

export const EXAMPLE_JOB_FULL = `# A service job that runs one Redis container. Every block below can be
# removed to fall back to its default; the comments say what each one controls.
#
# Check it with "nomad job validate example.nomad", preview the effect with
# "nomad job plan example.nomad" and submit it with "nomad job run example.nomad".

# The job's ID is the label of this block; it must be unique in its namespace.
job "example" {
  # Datacenters the scheduler may place this job's allocations in.
  datacenters = ["dc1"]

  # "service" jobs run until stopped; others are "batch", "system" and
  # "sysbatch".
  type = "service"

  # How a new version of the job replaces the running one.
  update {
    # Replace this many allocations at a time.
    max_parallel = 1

    # An allocation must stay healthy this long to count as healthy.
    min_healthy_time = "10s"

    # An allocation that is not healthy within this time counts as unhealthy.
    healthy_deadline = "3m"

    # The deployment fails if no allocation turns healthy within this time.
    progress_deadline = "10m"

    # Whether a failed deployment rolls back to the last stable version.
    auto_revert = false

    # Number of canaries to start before replacing the rest; 0 disables
    # canary deployments.
    canary = 0
  }

  # How allocations move away from a node that is being drained.
  migrate {
    # Move this many allocations at a time.
    max_parallel = 1

    # "checks" waits for service checks; "task_states" for tasks to run.
    health_check = "checks"

    # A moved allocation must stay healthy this long.
    min_healthy_time = "10s"

    # A moved allocation that is not healthy within this time is unhealthy.
    healthy_deadline = "5m"
  }

  # A group is a set of tasks always placed together on the same node.
  group "cache" {
    # How many instances of the group to run.
    count = 1

    # The ports the group needs; "db" gets a dynamic host port mapped to
    # 6379 inside the task's network namespace.
    network {
      port "db" {
        to = 6379
      }
    }

    # Registers the group in the service catalog with these tags.
    service {
      name = "redis-cache"
      tags = ["global", "cache"]
      port = "db"
    }

    # How often a failing task is restarted on the same node before the
    # allocation is marked failed.
    restart {
      # Restarts allowed within the interval.
      attempts = 2
      interval = "30m"

      # Pause before each restart.
      delay = "15s"

      # "fail" gives up after the attempts; "delay" waits for the next
      # interval and tries again.
      mode = "fail"
    }

    # Scratch space shared by the group's tasks, in MB.
    ephemeral_disk {
      size = 300
    }

    # A task is one process run by a driver.
    task "redis" {
      # The driver that runs the task.
      driver = "docker"

      # Settings passed to the driver.
      config {
        image = "redis:3.2"
        ports = ["db"]
      }

      # What the task reserves on its node: CPU in MHz, memory in MB.
      resources {
        cpu    = 500
        memory = 256
      }
    }
  }
}
`;

export const EXAMPLE_JOB_SHORT = `job "example" {
  datacenters = ["dc1"]

  group "cache" {
    network {
      port "db" {
        to = 6379
      }
    }

    task "redis" {
      driver = "docker"

      config {
        image = "redis:3.2"
        ports = ["db"]
      }

      resources {
        cpu    = 500
        memory = 256
      }
    }
  }
}
`;
