/** Credentials and tokens never reach an error message, a log line or an event: this removes them. */

const SECRET_PARAM = /token|auth|key|secret|pass|pwd|sig|session|jwt|credential|code|ticket/i

/** The URL with user:password and secret-looking query values replaced by `***`. */
export function redactUrl(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    // not parseable: strip anything that looks like credentials or a query, to be safe
    return text.replace(/\/\/[^/@]*@/, '//***@').replace(/\?.*$/, '?***').replace(/#.*$/, '#***')
  }
  if (url.username || url.password) {
    url.username = '***'
    url.password = ''
  }
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) url.searchParams.set(key, '***')
  }
  // a fragment is never sent, but OAuth-style flows put tokens there: never show it
  if (url.hash) url.hash = '***'
  return url.href.replace(/%2A%2A%2A/g, '***')
}
