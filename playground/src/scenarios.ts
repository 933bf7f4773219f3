/**
 * Scripted scenarios: a fault sequence played through the page's own fault buttons (so it shows on
 * the timeline like a click), then the recovery bounds the policy promises checked against
 * monitor(socket).history(). Each check says what was measured and what the bound was.
 */
import type { Disconnect, Phase } from 'lifeline-ws'
import type { Policy } from 'lifeline-ws/core'
import { ms } from './canvas.js'

export interface ScenarioContext {
  click(id: string): void
  setValue(id: string, value: string | boolean): void
  state(): Phase
  history(): Disconnect[]
  policy(): Policy
  /** ms since the app server last heard from each open connection. */
  quietTimes(): number[]
  /** Resolves when `ready()` is true, rejects after `timeout` ms with `what` in the message. */
  waitFor(ready: () => boolean, timeout: number, what: string): Promise<void>
  pause(ms: number): Promise<void>
  log(text: string): void
}

export interface Check {
  ok: boolean
  text: string
}

export interface Scenario {
  id: string
  name: string
  description: string
  run(ctx: ScenarioContext): Promise<Check[]>
}

/** Timers, the browser, a busy machine. */
const SLACK = 1000

/** How long a disconnect may last when the way back opens `outage` ms after it began. */
function recoveryBound(policy: Policy, outage: number): number {
  return outage + policy.connectTimeout + policy.backoff.maxDelay + SLACK
}

function checkRecoveries(found: Disconnect[], bound: (d: Disconnect, i: number) => number, expected: number): Check[] {
  const checks: Check[] = [{ ok: found.length >= expected, text: `${found.length} disconnect${found.length === 1 ? '' : 's'} in history() (expected ${expected})` }]
  found.forEach((d, i) => {
    const limit = bound(d, i)
    if (d.duration === null) checks.push({ ok: false, text: `#${i + 1} ${d.cause}: still down` })
    else checks.push({ ok: d.duration <= limit, text: `#${i + 1} ${d.cause}${d.code === null ? '' : ` ${d.code}`}: back after ${ms(d.duration)} (bound ${ms(limit)}), ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}` })
  })
  return checks
}

const since = (ctx: ScenarioContext, t: number): Disconnect[] => ctx.history().filter((d) => d.start >= t)

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'deploy-storm',
    name: 'Deploy storm',
    description: 'three graceful restarts (1012, server down 1 s each), one after the other',
    async run(ctx) {
      const t0 = Date.now()
      const downMs = 1000
      ctx.setValue('f-stop-s', '1')
      ctx.setValue('f-stop-graceful', true)
      for (let i = 1; i <= 3; i++) {
        await ctx.waitFor(() => ctx.state() === 'open', recoveryBound(ctx.policy(), downMs), `open before restart ${i}`)
        ctx.log(`restart ${i} of 3`)
        ctx.click('f-stop')
        await ctx.waitFor(() => ctx.state() !== 'open', 3000, `restart ${i} noticed`)
        await ctx.waitFor(() => ctx.state() === 'open', recoveryBound(ctx.policy(), downMs), `open after restart ${i}`)
      }
      ctx.setValue('f-stop-graceful', false)
      return checkRecoveries(since(ctx, t0), () => recoveryBound(ctx.policy(), downMs), 3)
    },
  },
  {
    id: 'flaky-mobile',
    name: 'Flaky mobile',
    description: 'offline 1.5 s, back online, a TCP reset, then a slow link (400 ms each way) for 3 s',
    async run(ctx) {
      const t0 = Date.now()
      const offlineMs = 1500
      ctx.log('offline')
      ctx.click('f-offline')
      await ctx.pause(offlineMs)
      ctx.log('online')
      ctx.click('f-offline')
      await ctx.waitFor(() => ctx.state() === 'open', recoveryBound(ctx.policy(), 0), 'open after online')
      ctx.log('kill')
      ctx.click('f-kill')
      await ctx.waitFor(() => ctx.state() !== 'open', 3000, 'the reset noticed')
      await ctx.waitFor(() => ctx.state() === 'open', recoveryBound(ctx.policy(), 0), 'open after the reset')
      ctx.log('slow link')
      ctx.setValue('f-slow-latency', '400')
      ctx.setValue('f-slow-rate', '0')
      ctx.click('f-slow')
      await ctx.pause(3000)
      ctx.click('f-slow')
      // a slow link may cost a heartbeat (400 ms each way): then one more recovery
      await ctx.waitFor(() => ctx.state() === 'open', recoveryBound(ctx.policy(), 0), 'open after the slow link')
      const found = since(ctx, t0)
      return [
        ...checkRecoveries(found, (_d, i) => recoveryBound(ctx.policy(), i === 0 ? offlineMs : 0), 2),
        { ok: ctx.state() === 'open', text: `open at the end (${ctx.state()})` },
      ]
    },
  },
  {
    id: 'idle-proxy',
    name: 'Idle proxy 60 s',
    description: 'a proxy that cuts a connection quiet for 60 s (played by the page for 65 s): the heartbeat must keep it busy, or the socket must come back',
    async run(ctx) {
      const t0 = Date.now()
      const idleLimit = 60_000
      let cuts = 0
      let longestQuiet = 0
      const end = t0 + idleLimit + 5000
      while (Date.now() < end) {
        const quiet = Math.max(0, ...ctx.quietTimes())
        longestQuiet = Math.max(longestQuiet, quiet)
        if (quiet >= idleLimit) {
          cuts++
          ctx.log(`idle ${ms(quiet)}: the proxy cuts the connection`)
          ctx.click('f-kill')
          await ctx.waitFor(() => ctx.state() !== 'open', 3000, 'the cut noticed')
        }
        await ctx.pause(500)
      }
      const hb = ctx.policy().heartbeat
      const checks: Check[] = [{ ok: true, text: `longest quiet the server saw: ${ms(longestQuiet)} (the proxy cuts at ${ms(idleLimit)}) · heartbeat ${hb ? `every ${ms(hb.interval)}` : 'off'}` }]
      if (cuts === 0) checks.push({ ok: true, text: 'never cut: the heartbeat kept the link busy' })
      else checks.push(...checkRecoveries(since(ctx, t0), () => recoveryBound(ctx.policy(), 0), cuts))
      return checks
    },
  },
]
