/**
 * The delivery account (test/support/delivery-account.mjs) that the real-network delivery tests
 * judge by: on synthetic client and server records, it finds silent losses, false confirmations,
 * duplicates (and whether a resend explains them), order violations within a connection, drops of
 * messages that were read, phantoms and unsettled messages; and says which of them each mode forbids.
 */
import { describe, expect, it } from 'vitest'
import { account, recordOf, seqOf, violations, type ClientRecord, type ServerRecord } from '../support/delivery-account.mjs'

const server = (...connections: number[][]): ServerRecord => ({
  connections: connections.map((seqs, i) => ({ id: String(i + 1), seqs })),
})

describe('delivery account', () => {
  it('a clean run: everything read once, in order, confirmed: nothing to report in either mode', () => {
    const result = account({ sent: 4, confirmed: [0, 1, 2, 3], dropped: [] }, server([0, 1], [2, 3]))
    expect(result).toMatchObject({ sent: 4, read: 4, lost: [], duplicates: [], outOfOrder: [], unsettled: [] })
    expect(violations(result, 'report')).toEqual([])
    expect(violations(result, 'resend')).toEqual([])
  })

  it('a message neither read nor reported is a silent loss; one confirmed yet never read is also a false confirmation', () => {
    const result = account({ sent: 4, confirmed: [0, 1, 3], dropped: [[2, 'unconfirmed']] }, server([0]))
    expect(result.lost).toEqual([1, 3])
    expect(result.falselyConfirmed).toEqual([1, 3])
    expect(violations(result, 'report')).toEqual([
      '2 lost silently (sent, never read, not reported): 1, 3',
      '2 confirmed but never read: 1, 3',
    ])
  })

  it("a message reported 'unconfirmed' may have been read; one reported as never written ('closed', 'overflow'…) may not", () => {
    const result = account({ sent: 3, confirmed: [], dropped: [[0, 'unconfirmed'], [1, 'closed'], [2, 'overflow']] }, server([0, 1]))
    expect(result.droppedBy).toEqual({ unconfirmed: 1, closed: 1, overflow: 1 })
    expect(result.droppedButRead).toEqual([{ seq: 1, reason: 'closed' }])
    expect(violations(result, 'report')).toEqual(['1 reported dropped as never written, yet read: 1 (closed)'])
  })

  it('order is judged within each connection: a later-sent message read first is a violation; across connections it is not', () => {
    const result = account({ sent: 5, confirmed: [0, 1, 2, 3, 4], dropped: [] }, server([0, 2, 1], [4, 3]))
    expect(result.outOfOrder).toEqual([
      { connection: '1', seq: 1, after: 2 },
      { connection: '2', seq: 3, after: 4 },
    ])
    expect(account({ sent: 4, confirmed: [0, 1, 2, 3], dropped: [] }, server([2, 3], [0, 1])).outOfOrder).toEqual([])
  })

  it('a resend explains duplicates that lead the next connection; the same read twice elsewhere is not explained', () => {
    // connection 1 read 0–3 but only 0–1 were confirmed; 2–4 were resent first on connection 2
    const resent: ClientRecord = { sent: 6, confirmed: [0, 1, 2, 3, 4, 5], dropped: [], resent: [2, 3, 4] }
    const good = account(resent, server([0, 1, 2, 3], [2, 3, 4, 5]))
    expect(good.duplicates).toEqual([
      { seq: 2, connections: ['1', '2'], inResendPrefix: true, resent: true },
      { seq: 3, connections: ['1', '2'], inResendPrefix: true, resent: true },
    ])
    expect(violations(good, 'resend')).toEqual([])
    expect(violations(good, 'report')).toEqual(["2 duplicates ('report' never resends): 2 on 1 and 2, 3 on 1 and 2"])

    // a duplicate after a fresh message on its connection cannot come from a resend
    const late = account({ ...resent, resent: undefined }, server([0, 1, 2, 3], [4, 2, 5]))
    expect(late.duplicates).toEqual([{ seq: 2, connections: ['1', '2'], inResendPrefix: false, resent: undefined }])
    expect(late.outOfOrder).toEqual([{ connection: '2', seq: 2, after: 4 }])
    expect(violations(late, 'resend')).toContain('1 duplicates (not explained by a resend): 2 on 1 and 2')

    // read twice on one connection: never a resend
    const twice = account({ sent: 2, confirmed: [0, 1], dropped: [] }, server([0, 1, 1]))
    expect(twice.duplicates).toEqual([{ seq: 1, connections: ['1', '1'], inResendPrefix: false, resent: undefined }])

    // in the leading run, but the client says it never resent it
    const unnamed = account({ ...resent, resent: [3] }, server([0, 1, 2, 3], [2, 3, 4, 5]))
    expect(violations(unnamed, 'resend')).toEqual(['1 duplicates (not explained by a resend): 2 on 1 and 2'])
  })

  it('duplicates over three connections: each later read is judged against everything read before it', () => {
    const result = account({ sent: 4, confirmed: [0, 1, 2, 3], dropped: [] }, server([0, 1], [1, 2], [1, 2, 3]))
    expect(result.duplicates).toEqual([
      { seq: 1, connections: ['1', '2'], inResendPrefix: true, resent: undefined },
      { seq: 1, connections: ['1', '2', '3'], inResendPrefix: true, resent: undefined },
      { seq: 2, connections: ['2', '3'], inResendPrefix: true, resent: undefined },
    ])
    expect(result.read).toBe(4)
  })

  it('phantoms, unsettled messages and a message both confirmed and dropped are each named', () => {
    const result = account({ sent: 3, confirmed: [0, 2], dropped: [[2, 'unconfirmed']] }, server([0, 7, -1, 1.5, 1, 2]))
    expect(result.phantom).toEqual([
      { connection: '1', seq: 7 },
      { connection: '1', seq: -1 },
      { connection: '1', seq: 1.5 },
    ])
    expect(result.unsettled).toEqual([1])
    expect(result.confirmedAndDropped).toEqual([2])
    expect(violations(result, 'resend')).toEqual([
      '3 read but never sent: 7 on 1, -1 on 1, 1.5 on 1',
      '1 neither confirmed nor dropped: 1',
      '1 both confirmed and dropped: 2',
    ])
  })

  it('long lists are cut at ten in the message', () => {
    const result = account({ sent: 12, confirmed: [], dropped: [] }, server())
    expect(violations(result, 'report')[0]).toBe('12 lost silently (sent, never read, not reported): 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, …')
  })

  it('seqOf reads the number before the first space; recordOf groups logged reads by connection in first-read order', () => {
    expect([seqOf('12'), seqOf('12 xx'), seqOf('ping'), seqOf(''), seqOf('1.5'), seqOf('-1 x'), seqOf(' 3')]).toEqual([12, 12, undefined, undefined, undefined, undefined, undefined])
    const reads = [
      { connection: '0.2', text: '3 x' },
      { connection: '0.1', text: '0' },
      { connection: '0.2', text: 'pong' },
      { connection: '0.2', text: '4' },
    ]
    expect(recordOf(reads)).toEqual({ connections: [{ id: '0.2', seqs: [3, Number.NaN, 4] }, { id: '0.1', seqs: [0] }] })
    expect(account({ sent: 5, confirmed: [0, 3, 4], dropped: [] }, recordOf(reads)).phantom).toEqual([{ connection: '0.2', seq: Number.NaN }])
  })
})
