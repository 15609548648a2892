//! Ad-hoc native timing of the request transform over a file (not a test; `scripts/bench` is the
//! benchmark). Usage: cargo run --release --example transform_speed FILE.json [ROUNDS]
use std::time::Instant;

use opencode_chatgpt_wasm::request::models::Catalog;
use opencode_chatgpt_wasm::request::transform::{transform, Options};

fn main() {
    let path = std::env::args().nth(1).expect("FILE.json");
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let body = std::fs::read_to_string(path).expect("read");
    let catalog = Catalog::bundled();
    let options = Options::default();
    let mut best = f64::MAX;
    let mut out_len = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let out = transform(&body, &catalog, &options).expect("transform");
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
        out_len = out.body.len();
    }
    println!(
        "{} B in, {out_len} B out, best {best:.3} ms ({:.0} MB/s)",
        body.len(),
        body.len() as f64 / best / 1e3
    );
}
