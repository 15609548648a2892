//! Ad-hoc native timing of the SSE scanner, rewriter and collector over a file (not a test, not
//! the benchmark: `scripts/bench` is). Usage: cargo run --release --example sse_speed FILE.sse
use std::time::Instant;

use opencode_chatgpt_wasm::stream::collector::SseCollector;
use opencode_chatgpt_wasm::stream::rewriter::StreamRewriter;
use opencode_chatgpt_wasm::stream::sse::SseScanner;

fn main() {
    let path = std::env::args().nth(1).expect("FILE.sse");
    let bytes = std::fs::read(path).expect("read");
    let chunks: Vec<&[u8]> = bytes.chunks(16 * 1024).collect();
    for round in 0..5 {
        let t = Instant::now();
        let mut s = SseScanner::new();
        let mut out = Vec::new();
        let mut n = 0;
        for c in &chunks {
            out.clear();
            s.feed(c, &mut out).unwrap();
            n += out.len();
        }
        let scan = t.elapsed();
        let t = Instant::now();
        let mut r = StreamRewriter::new();
        let mut fwd = 0;
        for c in &chunks {
            fwd += r.push(c).unwrap();
        }
        fwd += r.finish();
        let rewrite = t.elapsed();
        let t = Instant::now();
        let mut col = SseCollector::new();
        for c in &chunks {
            col.push(c).unwrap();
        }
        let json = col.finish().unwrap();
        let collect = t.elapsed();
        if round == 4 {
            println!("{n} events, {fwd} bytes forwarded, {} B json; scan {scan:?}, rewrite {rewrite:?}, collect {collect:?}", json.len());
        }
    }
}
