// The chaos soak's randomness: the package's own seeded generator (mulberry32), so the same seed
// gives the same fault schedule. The soak runs against the built package (npm run soak builds it).
export { seededRandom as mulberry32 } from 'lifeline-ws/core'

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
