//! The fakes' HTTP servers: each on a free loopback port, from its own thread and runtime, so sync
//! and async tests (and other processes) can use it alike.

use axum::Router;

/// Serves `app` on a free loopback port from a thread running `runtime`; its `http://` base URL.
pub fn serve(mut runtime: tokio::runtime::Builder, app: Router) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = runtime.enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{}", rx.recv().unwrap())
}
