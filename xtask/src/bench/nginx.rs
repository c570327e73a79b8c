//! The limit: Debian's nginx as a bare reverse proxy in front of the same dev inference server
//! (one worker, keep-alive upstream connections, no buffering), i.e. a proxy that does no
//! auth, parsing or metering. Its config and files live in a temp dir (`-p`), so it needs no
//! root paths; it is started on a free port for each run and stopped after it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use super::servers::{free_addr, Server};

pub const NGINX: &str = "/usr/sbin/nginx";

/// Where nginx is, or `None` after telling how to install it.
pub fn find() -> Option<PathBuf> {
    let path = PathBuf::from(NGINX);
    if path.exists() {
        return Some(path);
    }
    eprintln!(
        "xtask: {NGINX} not found: the bench runs without the nginx column \
         (install it with `apt-get install nginx-light`)"
    );
    None
}

fn config(prefix: &Path, listen: SocketAddr, upstream: SocketAddr) -> String {
    let p = prefix.display();
    format!(
        "# Written by cargo xtask bench.\n\
         daemon off;\n\
         master_process on;\n\
         worker_processes 1;\n\
         worker_rlimit_nofile 40000;\n\
         pid {p}/nginx.pid;\n\
         error_log {p}/error.log warn;\n\
         events {{ worker_connections 20000; }}\n\
         http {{\n\
         \x20 access_log off;\n\
         \x20 client_body_temp_path {p}/client_body;\n\
         \x20 proxy_temp_path {p}/proxy;\n\
         \x20 fastcgi_temp_path {p}/fastcgi;\n\
         \x20 uwsgi_temp_path {p}/uwsgi;\n\
         \x20 scgi_temp_path {p}/scgi;\n\
         \x20 upstream inference {{ server {upstream}; keepalive 256; keepalive_requests 1000000; }}\n\
         \x20 server {{\n\
         \x20   listen {listen};\n\
         \x20   keepalive_requests 1000000;\n\
         \x20   location / {{\n\
         \x20     proxy_pass http://inference;\n\
         \x20     proxy_http_version 1.1;\n\
         \x20     proxy_set_header Connection \"\";\n\
         \x20     proxy_buffering off;\n\
         \x20     proxy_read_timeout 120s;\n\
         \x20   }}\n\
         \x20 }}\n\
         }}\n"
    )
}

/// How to start nginx the same way before each run.
pub struct NginxSetup {
    pub bin: PathBuf,
    pub prefix: PathBuf,
    pub upstream: SocketAddr,
}

/// A running nginx: its master (the child) and its one worker, whose CPU is counted together.
pub struct Nginx {
    pub server: Server,
    pub worker: u32,
}

impl NginxSetup {
    pub fn start(&self) -> Result<Nginx> {
        let _ = std::fs::remove_dir_all(&self.prefix);
        std::fs::create_dir_all(&self.prefix)?;
        let listen = free_addr()?;
        let conf = self.prefix.join("nginx.conf");
        std::fs::write(&conf, config(&self.prefix, listen, self.upstream))?;
        let mut command = Command::new(&self.bin);
        command
            .arg("-p")
            .arg(&self.prefix)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(self.prefix.join("error.log"));
        let mut server =
            Server::spawn("nginx", listen, &mut command, &self.prefix.join("out.log"))?;
        // Any path answers (it is the upstream's 404 or health page): nginx is up.
        server.wait_ready("/health")?;
        let worker = children(server.pid())
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("nginx started no worker"))?;
        Ok(Nginx { server, worker })
    }
}

/// The processes whose parent is `pid` (from /proc/*/stat).
fn children(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            std::fs::read_to_string(format!("/proc/{child}/stat"))
                .ok()
                .and_then(|stat| {
                    // pid (comm) state ppid …: comm may hold spaces, so split after the last ')'.
                    let rest = &stat[stat.rfind(')')? + 1..];
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}
