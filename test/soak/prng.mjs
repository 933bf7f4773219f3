// A small seeded PRNG (mulberry32) for the chaos soak: the same seed gives the same fault schedule.

/** @param {number} seed a 32-bit integer @returns {() => number} numbers in [0, 1) */
export function mulberry32(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Helpers over a random source. @param {() => number} random */
export function helpers(random) {
  const between = (min, max) => Math.round(min + random() * (max - min))
  const shuffle = (items) => {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[out[i], out[j]] = [out[j], out[i]]
    }
    return out
  }
  return { between, shuffle }
}
