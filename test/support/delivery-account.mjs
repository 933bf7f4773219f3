/**
 * The delivery account: given what the client says happened to each numbered message (sent,
 * confirmed, dropped with a reason, resent) and what the server read on each connection, in order,
 * find what no delivery mode may allow. Plain ESM JavaScript (typed by delivery-account.d.mts) so
 * that plain `node` scripts (the soak) can use it as well as vitest.
 *
 * Sequence numbers are 0 … sent − 1. What the account reports:
 * - lost: sent, never read by the server, and not reported dropped (a silent loss). `falselyConfirmed`
 *   are the lost ones the client counted as confirmed: the worst kind.
 * - duplicates: read more than once. Each says whether it is explained by a resend: on the later
 *   connection it sits in the leading run of messages read on an earlier one (a resend writes the
 *   unconfirmed messages first, in order, so whatever of them the server had read comes first), and,
 *   when the client names its resent messages, whether it is one of them.
 * - outOfOrder: within one server connection, a message read after a later-sent one.
 * - droppedButRead: reported dropped for a reason that says it was never written ('overflow',
 *   'ttl', 'closed', 'error'), yet read. ('unconfirmed' may have been read: that is what it says.)
 * - phantom: the server read a number that was never sent (or no number at all).
 * - unsettled: neither confirmed nor dropped by the client.
 */

/**
 * The sequence number a message carries: the text up to its first space (`<seq>` or
 * `<seq> <padding>`, as the soak sends); undefined when that is not a whole number.
 * @param {string} text
 * @returns {number | undefined}
 */
export function seqOf(text) {
  const space = text.indexOf(' ')
  const head = space < 0 ? text : text.slice(0, space)
  return /^\d+$/.test(head) ? Number(head) : undefined
}

/**
 * A ServerRecord from reads logged elsewhere (the soak server's log lines, the netns server's
 * JSON lines): each read as its connection and text, in read order; connections in order of their
 * first read. A text with no number is recorded as NaN, so the account names it a phantom.
 * @param {Iterable<{ connection: string, text: string }>} reads
 * @returns {import('./delivery-account.d.mts').ServerRecord}
 */
export function recordOf(reads) {
  /** @type {Map<string, number[]>} */
  const byConnection = new Map()
  for (const { connection, text } of reads) {
    let seqs = byConnection.get(connection)
    if (!seqs) byConnection.set(connection, (seqs = []))
    seqs.push(seqOf(text) ?? Number.NaN)
  }
  return { connections: [...byConnection].map(([id, seqs]) => ({ id, seqs })) }
}

/** Drop reasons that may have been read by the server: written, but not confirmed. */
const MAY_HAVE_BEEN_READ = new Set(['unconfirmed'])

/**
 * @param {import('./delivery-account.d.mts').ClientRecord} client
 * @param {import('./delivery-account.d.mts').ServerRecord} server
 * @returns {import('./delivery-account.d.mts').Account}
 */
export function account(client, server) {
  const { sent } = client
  const confirmed = new Set(client.confirmed)
  const dropped = new Map(client.dropped)
  const resent = client.resent ? new Set(client.resent) : undefined
  /** seq → the indexes of the connections that read it, in order */
  const readOn = new Map()
  const phantom = []
  const outOfOrder = []
  const duplicates = []
  let read = 0
  /** everything read on the connections before the current one */
  const readBefore = new Set()
  server.connections.forEach((connection, index) => {
    let inPrefix = true
    let previous = -Infinity
    for (const seq of connection.seqs) {
      if (!Number.isInteger(seq) || seq < 0 || seq >= sent) {
        phantom.push({ connection: connection.id, seq })
        continue
      }
      if (seq <= previous) outOfOrder.push({ connection: connection.id, seq, after: previous })
      previous = Math.max(previous, seq)
      const seen = readOn.get(seq)
      if (seen) {
        const earlier = readBefore.has(seq)
        duplicates.push({
          seq,
          connections: [...seen.map((at) => server.connections[at].id), connection.id],
          inResendPrefix: earlier && inPrefix,
          resent: resent ? resent.has(seq) : undefined,
        })
        seen.push(index)
      } else {
        readOn.set(seq, [index])
        read++
      }
      if (!readBefore.has(seq)) inPrefix = false
    }
    for (const seq of connection.seqs) readBefore.add(seq)
  })

  const lost = []
  const falselyConfirmed = []
  const unsettled = []
  const droppedButRead = []
  const droppedBy = {}
  for (let seq = 0; seq < sent; seq++) {
    const wasRead = readOn.has(seq)
    const reason = dropped.get(seq)
    if (reason !== undefined) {
      droppedBy[reason] = (droppedBy[reason] ?? 0) + 1
      if (wasRead && !MAY_HAVE_BEEN_READ.has(reason)) droppedButRead.push({ seq, reason })
    } else if (!wasRead) {
      lost.push(seq)
      if (confirmed.has(seq)) falselyConfirmed.push(seq)
    }
    if (reason === undefined && !confirmed.has(seq)) unsettled.push(seq)
  }
  const both = [...dropped.keys()].filter((seq) => confirmed.has(seq))
  return { sent, read, lost, falselyConfirmed, duplicates, outOfOrder, droppedBy, droppedButRead, phantom, unsettled, confirmedAndDropped: both }
}

/**
 * What the account shows that `mode` does not allow, one line each (empty: all good). Both modes:
 * no silent loss, nothing confirmed that was not read, order kept within each connection, nothing
 * read that was reported as never written, no phantom, every message settled once. 'report': no
 * duplicate at all. 'resend': duplicates only as resends (see `account`).
 *
 * @param {import('./delivery-account.d.mts').Account} result
 * @param {'report' | 'resend'} mode
 * @returns {string[]}
 */
export function violations(result, mode) {
  const out = []
  const list = (items, show = String) => `${items.slice(0, 10).map(show).join(', ')}${items.length > 10 ? ', …' : ''}`
  if (result.lost.length) out.push(`${result.lost.length} lost silently (sent, never read, not reported): ${list(result.lost)}`)
  if (result.falselyConfirmed.length) out.push(`${result.falselyConfirmed.length} confirmed but never read: ${list(result.falselyConfirmed)}`)
  if (result.outOfOrder.length) out.push(`${result.outOfOrder.length} out of order within a connection: ${list(result.outOfOrder, (o) => `${o.seq} after ${o.after} on ${o.connection}`)}`)
  if (result.droppedButRead.length) out.push(`${result.droppedButRead.length} reported dropped as never written, yet read: ${list(result.droppedButRead, (d) => `${d.seq} (${d.reason})`)}`)
  if (result.phantom.length) out.push(`${result.phantom.length} read but never sent: ${list(result.phantom, (p) => `${p.seq} on ${p.connection}`)}`)
  if (result.unsettled.length) out.push(`${result.unsettled.length} neither confirmed nor dropped: ${list(result.unsettled)}`)
  if (result.confirmedAndDropped.length) out.push(`${result.confirmedAndDropped.length} both confirmed and dropped: ${list(result.confirmedAndDropped)}`)
  const unexplained = mode === 'report' ? result.duplicates : result.duplicates.filter((d) => !d.inResendPrefix || d.resent === false)
  if (unexplained.length) {
    const why = mode === 'report' ? "'report' never resends" : 'not explained by a resend'
    out.push(`${unexplained.length} duplicates (${why}): ${list(unexplained, (d) => `${d.seq} on ${d.connections.join(' and ')}`)}`)
  }
  return out
}
