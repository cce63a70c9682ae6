import CHangarArchive

/// Inflates a deflate or gzip stream from a range of bytes in chunks the caller asks for,
/// so the caller counts every byte produced and stops at its limit: nothing is ever
/// inflated without a bound.
final class BoundedInflater {
    enum Format {
        /// Raw deflate, as in zip entries.
        case deflate
        /// A gzip member (header, deflate data, CRC-checked trailer).
        case gzip
    }

    private let input: [UInt8]
    private var position: Int
    private let end: Int
    private let stream: UnsafeMutablePointer<z_stream>
    private let what: String
    /// Bytes produced so far.
    private(set) var produced = 0
    /// True once the compressed stream ended (and, for gzip, its checksum matched).
    private(set) var finished = false

    /// - Parameter what: names the stream in error messages (an entry path or "the archive").
    init(_ input: [UInt8], range: Range<Int>, format: Format, what: String) throws(PackageError) {
        self.input = input
        self.position = range.lowerBound
        self.end = range.upperBound
        self.what = what
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let windowBits: Int32 = format == .gzip ? 15 + 16 : -15
        let status = inflateInit2_(stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw PackageError(.corruptArchive, "cannot start inflating \(what) (zlib status \(status))", entry: nil)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compressed bytes consumed so far.
    var consumed: Int { position }

    /// Up to `maximum` more bytes; an empty array only at the end of the stream.
    func read(maximum: Int) throws(PackageError) -> [UInt8] {
        guard !finished, maximum > 0 else { return [] }
        var output = [UInt8](repeating: 0, count: maximum)
        var filled = 0
        while filled < maximum && !finished {
            let available = end - position
            var status: Int32 = Z_OK
            var used = 0
            input.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { target in
                    stream.pointee.next_in = source.baseAddress.map { UnsafeMutablePointer(mutating: $0 + position) }
                    stream.pointee.avail_in = UInt32(min(available, 1 << 20))
                    stream.pointee.next_out = target.baseAddress!.advanced(by: filled)
                    stream.pointee.avail_out = UInt32(maximum - filled)
                    let before = (stream.pointee.avail_in, stream.pointee.avail_out)
                    status = inflate(stream, Z_NO_FLUSH)
                    used = Int(before.0 - stream.pointee.avail_in)
                    filled += Int(before.1 - stream.pointee.avail_out)
                }
            }
            position += used
            switch status {
            case Z_STREAM_END:
                finished = true
            case Z_OK:
                continue
            case Z_BUF_ERROR where available == 0:
                throw PackageError(.corruptArchive, "\(what) is truncated: its compressed data ends early", entry: nil)
            case Z_BUF_ERROR:
                continue
            default:
                throw PackageError(.corruptArchive, "\(what) has corrupt compressed data (zlib status \(status))", entry: nil)
            }
        }
        output.removeSubrange(filled...)
        produced += filled
        return output
    }
}

/// The CRC-32 of `bytes` continued from `crc`, as zip headers record it.
func crc32Continuing(_ crc: UInt32, _ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBufferPointer { buffer in
        UInt32(crc32(UInt(crc), buffer.baseAddress, UInt32(buffer.count)))
    }
}
