//! A TCP proxy in front of PostgreSQL that a test can cut and restore: the real way to
//! lose the database (connections dropped, new ones refused) without stopping the server
//! other tests share. Used by `tests/api` and `tests/faults.rs`.

/// A TCP proxy in front of PostgreSQL that the test can cut, as a network outage would:
/// open connections are dropped and new ones refused until it is restored.
pub struct Outage {
    pub addr: String,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    kill: tokio::sync::watch::Sender<u64>,
}

impl Outage {
    pub async fn start() -> Outage {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (kill, _) = tokio::sync::watch::channel(0u64);
        let (flag, killer) = (cut.clone(), kill.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if flag.load(Ordering::SeqCst) {
                    continue; // refused: dropped at once
                }
                let mut dead = killer.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect("127.0.0.1:5432").await
                    else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = dead.changed() => {}
                    }
                });
            }
        });
        Outage { addr, cut, kill }
    }

    pub fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        self.kill.send_modify(|n| *n += 1);
    }

    pub fn restore(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}
