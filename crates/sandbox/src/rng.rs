//! Deterministic randomness owned by the sandbox: a SplitMix64 generator and
//! stateless hashing for time-indexed noise. Written here (no `rand`) so a
//! seed gives the same world forever, whatever crate versions resolve.

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, good enough for a simulation.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// A generator derived from `seed` and a label, so independent parts of
    /// the world draw independent streams (adding a model does not shift the
    /// numbers of another one).
    pub fn derive(seed: u64, label: &str) -> Rng {
        Rng::new(mix(seed, hash_str(label)))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        finalize(self.state)
    }

    /// Uniform in `[0, 1)`.
    pub fn f64(&mut self) -> f64 {
        unit(self.next_u64())
    }

    /// Uniform in `[lo, hi)`.
    pub fn range_f64(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    /// Uniform integer in `[lo, hi]` (inclusive); `lo` when `hi < lo`.
    pub fn range_u64(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let span = hi - lo + 1;
        lo + self.next_u64() % span
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// One element of `items` (None when empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        let i = (self.next_u64() % items.len() as u64) as usize;
        items.get(i)
    }

    /// `n` lowercase hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            let word = self.next_u64();
            for shift in (0..16).rev() {
                if s.len() == n {
                    break;
                }
                let nibble = ((word >> (shift * 4)) & 0xF) as u32;
                s.push(char::from_digit(nibble, 16).unwrap_or('0'));
            }
        }
        s
    }
}

/// The SplitMix64 output function: a strong 64-bit mixer.
pub fn finalize(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Combines two values into one well-mixed hash.
pub fn mix(a: u64, b: u64) -> u64 {
    finalize(a ^ finalize(b.wrapping_add(0x9E37_79B9_7F4A_7C15)))
}

/// FNV-1a of a string, then mixed: a stable key for names.
pub fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    finalize(h)
}

/// Maps 64 bits to `[0, 1)`.
pub fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// Smooth value noise in `[-1, 1]` at time `t_ms`: random values at bucket
/// boundaries of `bucket_ms`, blended with smoothstep. Same inputs, same output.
pub fn smooth_noise(key: u64, t_ms: i64, bucket_ms: i64) -> f64 {
    let bucket_ms = bucket_ms.max(1);
    let b = t_ms.div_euclid(bucket_ms);
    let frac = t_ms.rem_euclid(bucket_ms) as f64 / bucket_ms as f64;
    let at = |k: i64| unit(mix(key, k as u64)) * 2.0 - 1.0;
    let (v0, v1) = (at(b), at(b + 1));
    let s = frac * frac * (3.0 - 2.0 * frac);
    v0 + (v1 - v0) * s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_different_seed_differs() {
        let a: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..5).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::new(7);
            (0..5).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = Rng::new(8);
            (0..5).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn splitmix_reference_values() {
        // First outputs of SplitMix64 seeded with 0 (reference implementation).
        let mut r = Rng::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = Rng::new(1);
        for _ in 0..1000 {
            let x = r.range_u64(3, 8);
            assert!((3..=8).contains(&x));
            let f = r.range_f64(-1.0, 2.0);
            assert!((-1.0..2.0).contains(&f));
        }
        assert_eq!(r.hex(32).len(), 32);
    }

    #[test]
    fn noise_is_smooth_and_bounded() {
        let mut prev = smooth_noise(9, 0, 60_000);
        for t in (1_000..600_000).step_by(1_000) {
            let v = smooth_noise(9, t, 60_000);
            assert!((-1.0..=1.0).contains(&v));
            assert!((v - prev).abs() < 0.2, "jump at {t}: {prev} -> {v}");
            prev = v;
        }
    }
}
