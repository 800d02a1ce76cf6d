# A JVM run by the java driver, under the same isolation as exec (chroot, namespaces, cgroup).
# Build a jar and serve it locally first, for example:
#   mkdir /tmp/hello && cd /tmp/hello
#   printf 'public class Hello { public static void main(String[] a) { System.out.println("hello from the JVM"); } }\n' > Hello.java
#   javac Hello.java && jar cfe hello.jar Hello Hello.class && python3 -m http.server 8000 &
# then, on a root client:  nomad job run examples/java-hello.nomad
job "java-hello" {
  datacenters = ["dc1"]
  type        = "batch"

  group "hello" {
    task "jvm" {
      driver = "java"

      # Fetched into the task's local/ dir before the JVM starts.
      artifact {
        source = "http://127.0.0.1:8000/hello.jar"
      }

      config {
        jar_path    = "local/hello.jar"
        jvm_options = ["-Xmx64m"]
      }

      resources {
        cpu    = 500
        memory = 256
      }
    }
  }
}
