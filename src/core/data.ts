/**
 * What `send()` accepts, told apart by the engine's own brand checks (the built-in getters, which
 * throw for anything that is not the real thing) rather than by what an object says about itself:
 * `Symbol.toStringTag` can be forged, `instanceof` fails across realms. Nothing here reads a
 * property of the object passed in.
 */

/** What `send()` accepts. Blob only where the runtime has it. */
export type Data = string | ArrayBufferLike | ArrayBufferView | Blob

/** The accepted kinds; `'buffer'` is an ArrayBuffer (a SharedArrayBuffer is not one: sockets refuse it). */
export type DataKind = 'string' | 'view' | 'buffer' | 'blob'

const TypedArray = Object.getPrototypeOf(Uint8Array.prototype) as object

const arrayBufferLength = getter(ArrayBuffer.prototype, 'byteLength')!
const typedArrayTag = getter(TypedArray, Symbol.toStringTag)!
const blobSize = typeof Blob === 'function' ? getter(Blob.prototype, 'size') : undefined
/** A view's buffer, byteOffset and byteLength getters: a typed array's, a DataView's. */
const typedArrayParts = partGetters(TypedArray)
const dataViewParts = partGetters(DataView.prototype)

function getter(prototype: object, key: PropertyKey): ((this: unknown) => unknown) | undefined {
  return Object.getOwnPropertyDescriptor(prototype, key)?.get
}

function partGetters(prototype: object): ((this: unknown) => unknown)[] {
  return ['buffer', 'byteOffset', 'byteLength'].map((key) => getter(prototype, key)!)
}

/** Call a brand-checking getter: its value, or undefined when `value` is not of its type. */
function branded(get: ((this: unknown) => unknown) | undefined, value: unknown): unknown {
  try {
    return get?.call(value)
  } catch {
    return undefined
  }
}

/** Which accepted kind `value` really is, or undefined when it is none of them. */
export function kindOf(value: unknown): DataKind | undefined {
  if (typeof value === 'string') return 'string'
  if (ArrayBuffer.isView(value)) return 'view'
  // ArrayBuffers are sent far more often than Blobs: test for them first
  if (branded(arrayBufferLength, value) !== undefined) return 'buffer'
  if (branded(blobSize, value) !== undefined) return 'blob'
  return undefined
}

/** Bytes a message occupies on the wire (UTF-8 for strings). Never NaN: anything else is a TypeError. */
export function byteSize(data: Data): number {
  const kind = kindOf(data)
  if (kind === 'string') return utf8Length(data as string)
  if (kind === 'view') return viewParts(data as ArrayBufferView)[2] as number
  if (kind === undefined) throw new TypeError('byteSize(data): data must be a string, ArrayBuffer, ArrayBufferView or Blob')
  return (kind === 'buffer' ? arrayBufferLength : blobSize!).call(data) as number
}

/**
 * A copy the queue can keep: the caller may reuse its buffer before the queue is flushed. Views
 * become a Uint8Array of their bytes, an ArrayBuffer a new ArrayBuffer; strings and Blobs are
 * immutable and kept as they are.
 */
export function copyOf(data: Data): Data {
  const kind = kindOf(data)
  if (kind === 'view') {
    const [buffer, offset, length] = viewParts(data as ArrayBufferView)
    return new Uint8Array(buffer as ArrayBuffer, offset as number, length as number).slice()
  }
  return kind === 'buffer' ? new Uint8Array(data as ArrayBuffer).slice().buffer : data
}

/** A view's buffer, byteOffset and byteLength, read through the built-in getters (a subclass cannot lie about them). */
export function viewParts(view: ArrayBufferView): unknown[] {
  return (typedArrayTag.call(view) === undefined ? dataViewParts : typedArrayParts).map((get) => get.call(view))
}

/** Any UTF-16 unit that takes more than one byte in UTF-8: a native scan is cheaper than the loop below. */
const NOT_ASCII = /[^\0-\x7f]/

function utf8Length(text: string): number {
  if (!NOT_ASCII.test(text)) return text.length
  let bytes = text.length
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) bytes += 1
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      // a surrogate pair: 2 UTF-16 units, 4 UTF-8 bytes
      bytes += 2
      i++
    } else bytes += 2
  }
  return bytes
}
