-- Prosody 0.12 as a benchmark anchor (bench/src/targets/prosody.ts fills the {{…}} fields).
-- Tuned, not handicapped: no `limits` module (Debian enables a 10 kb/s c2s rate limit), the
-- generational GC, Nagle off, only the modules a messaging server needs, no s2s listener.
run_as_root = true
pidfile = "{{DIR}}/prosody.pid"
data_path = "{{DIR}}/data"
log = { warn = "{{DIR}}/prosody.log" }

gc = { mode = "generational" }
-- Prosody 0.12's server_epoll knows no `tcp_nodelay`: its option is `nagle` (default true), and
-- `interface:defaultoptions()` sets TCP_NODELAY on accepted sockets only when `nagle == false`
-- (net/server_epoll.lua in Debian's 0.12.3). `tcp_backlog` is its listen backlog (default 128).
network_settings = { nagle = false, tcp_backlog = 1024 }

c2s_ports = { {{PORT}} }
c2s_interfaces = { "127.0.0.1" }
c2s_direct_tls_ports = { }
s2s_ports = { }
component_ports = { }
legacy_ssl_ports = { }

modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "carbons" }
modules_disabled = { "s2s", "limits", "offline" }

authentication = "internal_hashed"
password_hash = "SHA-256"
default_iteration_count = 4096
c2s_require_encryption = true
allow_registration = false
storage = "internal"

certificates = "{{DIR}}"
ssl = { certificate = "{{CERT}}", key = "{{KEY}}" }

VirtualHost "{{DOMAIN}}"
  ssl = { certificate = "{{CERT}}", key = "{{KEY}}" }

Component "{{MUC}}" "muc"
  restrict_room_creation = false
  max_history_messages = 0
