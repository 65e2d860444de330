//! A seeded mutator over a corpus: deterministic for a seed, bounded in time and count.

use std::time::{Duration, Instant};

/// xorshift64*: small, fast, reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::try_from(self.next() % n as u64).unwrap_or(0)
        }
    }
}

/// Values that hit edges of length fields and flags.
const INTERESTING_I32: [i32; 10] = [0, 1, 3, 4, -1, i32::MIN, i32::MAX, 0x00FF_FFFF, 0x0100_0000, 65_536];

/// One random change of `data`; `other` is another corpus input for splicing.
pub fn mutate(rng: &mut Rng, data: &mut Vec<u8>, other: &[u8]) {
    match rng.below(8) {
        0 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] ^= 1 << rng.below(8);
        }
        1 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] = [0u8, 0xFF, 0x7F, 0x80, b'"', b'{', b':', b'\\'][rng.below(8)];
        }
        2 if data.len() >= 4 => {
            let i = rng.below(data.len() - 3);
            let v = INTERESTING_I32[rng.below(INTERESTING_I32.len())];
            data[i..i + 4].copy_from_slice(&v.to_be_bytes());
        }
        3 => {
            let at = rng.below(data.len() + 1);
            let n = 1 + rng.below(16);
            let bytes: Vec<u8> = (0..n).map(|_| u8::try_from(rng.next() & 0xFF).unwrap_or(0)).collect();
            data.splice(at..at, bytes);
        }
        4 if !data.is_empty() => {
            let at = rng.below(data.len());
            let n = 1 + rng.below((data.len() - at).min(32));
            data.drain(at..at + n);
        }
        5 => data.truncate(rng.below(data.len() + 1)),
        6 if !other.is_empty() => {
            let at = rng.below(data.len() + 1);
            let from = rng.below(other.len());
            let n = 1 + rng.below(other.len() - from);
            data.truncate(at);
            data.extend_from_slice(&other[from..from + n]);
        }
        _ if data.len() >= 2 => {
            let (a, b) = (rng.below(data.len()), rng.below(data.len()));
            data.swap(a, b);
        }
        _ => data.push(u8::try_from(rng.next() & 0xFF).unwrap_or(0)),
    }
}

/// How long and how often each target runs: `FUZZ_MILLIS` (default 1500) and `FUZZ_RUNS`
/// (default 300,000), whichever ends first; `FUZZ_SEED` picks the sequence (default fixed).
pub fn budget() -> (Duration, u64, u64) {
    let env = |k: &str, d: u64| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    (Duration::from_millis(env("FUZZ_MILLIS", 1500)), env("FUZZ_RUNS", 300_000), env("FUZZ_SEED", 0x5EED_2126))
}

/// Runs `target` on the corpus inputs and on mutants of them (1 to 4 changes each) until the
/// budget is spent; a panic fails the test naming the input in hex. Returns the executions.
pub fn run(name: &str, corpus: &[Vec<u8>], target: impl Fn(&[u8])) -> u64 {
    assert!(!corpus.is_empty(), "{name}: empty corpus");
    let (time, runs, seed) = budget();
    let mut rng = Rng::new(seed ^ name.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))));
    let started = Instant::now();
    let mut n = 0u64;
    for input in corpus {
        check(name, input, &target);
    }
    while n < runs && started.elapsed() < time {
        let mut data = corpus[rng.below(corpus.len())].clone();
        let other = &corpus[rng.below(corpus.len())];
        for _ in 0..=rng.below(4) {
            mutate(&mut rng, &mut data, other);
        }
        check(name, &data, &target);
        n += 1;
    }
    eprintln!("fuzz {name}: {n} inputs in {:?}, corpus {}", started.elapsed(), corpus.len());
    n
}

fn check(name: &str, input: &[u8], target: &impl Fn(&[u8])) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| target(input)));
    if outcome.is_err() {
        let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
        panic!("fuzz {name}: panic on input (save it under tests/fuzz-corpus/{name}/): {hex}");
    }
}
