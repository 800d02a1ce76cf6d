# A batch job run by the exec driver: the command sees only its own chroot (the host's system
# directories, read-only, plus its task dir), runs as "nobody" in new pid/mount/ipc namespaces,
# and is held to its memory and CPU by a cgroup of its own.
# Needs a client running as root on Linux with cgroups:  sudo nomad agent -dev
# then:  nomad job run examples/exec-hello.nomad && nomad alloc logs <alloc-id>
job "exec-hello" {
  datacenters = ["dc1"]
  type        = "batch"

  group "hello" {
    task "look-around" {
      driver = "exec"

      config {
        command = "/bin/sh"
        args = ["-c", <<EOT
echo "I am $(id -un), pid $$, and I can see $(ls /proc | grep -c '^[0-9]') processes"
echo "my files live in $NOMAD_TASK_DIR:" && ls /
touch /usr/should-fail 2>/dev/null || echo "the system dirs are read-only, as they should be"
EOT
        ]
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
