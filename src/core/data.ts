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
const typedArrayBuffer = getter(TypedArray, 'buffer')!
const typedArrayOffset = getter(TypedArray, 'byteOffset')!
const typedArrayLength = getter(TypedArray, 'byteLength')!
const dataViewBuffer = getter(DataView.prototype, 'buffer')!
const dataViewOffset = getter(DataView.prototype, 'byteOffset')!
const dataViewLength = getter(DataView.prototype, 'byteLength')!
const blobSize = typeof Blob === 'function' ? getter(Blob.prototype, 'size') : undefined

function getter(prototype: object, key: PropertyKey): ((this: unknown) => unknown) | undefined {
  return Object.getOwnPropertyDescriptor(prototype, key)?.get
}

/** Call a brand-checking getter: its value, or undefined when `value` is not of its type. */
function branded(get: ((this: unknown) => unknown) | undefined, value: unknown): unknown {
  if (get === undefined) return undefined
  try {
    return get.call(value)
  } catch {
    return undefined
  }
}

/** Which accepted kind `value` really is, or undefined when it is none of them. */
export function kindOf(value: unknown): DataKind | undefined {
  if (typeof value === 'string') return 'string'
  if (typeof value !== 'object' || value === null) return undefined
  if (ArrayBuffer.isView(value)) return 'view'
  // ArrayBuffers are sent far more often than Blobs: test for them first
  if (branded(arrayBufferLength, value) !== undefined) return 'buffer'
  if (branded(blobSize, value) !== undefined) return 'blob'
  return undefined
}

/** Bytes a message occupies on the wire (UTF-8 for strings). Never NaN: anything else is a TypeError. */
export function byteSize(data: Data): number {
  switch (kindOf(data)) {
    case 'string':
      return utf8Length(data as string)
    case 'view':
      return typedArrayTag.call(data) !== undefined ? (typedArrayLength.call(data) as number) : (dataViewLength.call(data) as number)
    case 'buffer':
      return arrayBufferLength.call(data) as number
    case 'blob':
      return blobSize!.call(data) as number
    default:
      throw new TypeError('byteSize(data): data must be a string, ArrayBuffer, ArrayBufferView or Blob')
  }
}

/**
 * A copy the queue can keep: the caller may reuse its buffer before the queue is flushed. Views
 * become a Uint8Array of their bytes, an ArrayBuffer a new ArrayBuffer; strings and Blobs are
 * immutable and kept as they are.
 */
export function copyOf(data: Data): Data {
  switch (kindOf(data)) {
    case 'view': {
      const { buffer, offset, length } = viewParts(data as ArrayBufferView)
      return new Uint8Array(buffer, offset, length).slice()
    }
    case 'buffer':
      return new Uint8Array(data as ArrayBuffer).slice().buffer
    default:
      return data
  }
}

/** A view's bytes, read through the built-in getters (a subclass cannot lie about them). */
function viewParts(view: ArrayBufferView): { buffer: ArrayBufferLike; offset: number; length: number } {
  if (typedArrayTag.call(view) !== undefined) {
    return { buffer: typedArrayBuffer.call(view) as ArrayBufferLike, offset: typedArrayOffset.call(view) as number, length: typedArrayLength.call(view) as number }
  }
  return { buffer: dataViewBuffer.call(view) as ArrayBufferLike, offset: dataViewOffset.call(view) as number, length: dataViewLength.call(view) as number }
}

function utf8Length(text: string): number {
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
