import CHangarArchive
import Foundation
import HangarPackages
import Testing
import ZIPFoundation

/// Writes tar archives header by header, including the malformed ones no tool would produce.
struct TarBuilder {
    private(set) var bytes: [UInt8] = []

    /// Adds one entry; `type` is the tar type flag ("0" file, "1" hard link, "2" symlink, "3" char
    /// device, "5" folder, "6" FIFO, "L" GNU long name, "x"/"g" pax).
    mutating func add(_ name: String, type: Character = "0", content: [UInt8] = [], mode: Int = 0o644,
                      link: String = "", prefix: String = "", declaredSize: Int? = nil) {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (i, byte) in Array(text.utf8).prefix(width).enumerated() { header[offset + i] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            put(String(String(value, radix: 8).suffix(width - 1)).leftPadded(width - 1), at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(mode, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(declaredSize ?? content.count, at: 124, width: 12)
        octal(0, at: 136, width: 12)
        header[156] = type.asciiValue!
        put(link, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put(prefix, at: 345, width: 155)
        for i in 148..<156 { header[i] = 0x20 }
        let sum = header.reduce(0) { $0 + Int($1) }
        put(String(sum, radix: 8).leftPadded(6), at: 148, width: 6)
        header[154] = 0
        bytes += header
        bytes += content
        bytes += [UInt8](repeating: 0, count: (512 - content.count % 512) % 512)
    }

    mutating func longName(_ name: String) {
        add("././@LongLink", type: "L", content: Array(name.utf8) + [0])
    }

    mutating func longLink(_ target: String) {
        add("././@LongLink", type: "K", content: Array(target.utf8) + [0])
    }

    mutating func pax(_ records: [(String, String)], global: Bool = false) {
        var data: [UInt8] = []
        for (key, value) in records {
            let body = " \(key)=\(value)\n"
            var length = body.utf8.count + 1
            while String(length).count + body.utf8.count != length { length += 1 }
            data += Array("\(length)\(body)".utf8)
        }
        add("PaxHeader", type: global ? "g" : "x", content: data)
    }

    mutating func end() { bytes += [UInt8](repeating: 0, count: 1_024) }

    func finished() -> [UInt8] {
        var copy = self
        copy.end()
        return copy.bytes
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// gzip of the chunks `next` returns until nil, deflated as they come: large inputs are
/// never held in memory.
func gzip(_ next: () -> [UInt8]?) -> [UInt8] { compress(windowBits: 15 + 16, next) }

/// Raw deflate (as in zip entries) or gzip, with zlib, streaming.
func compress(windowBits: Int32, level: Int32 = 6, _ next: () -> [UInt8]?) -> [UInt8] {
    var stream = z_stream()
    precondition(deflateInit2_(&stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    defer { deflateEnd(&stream) }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var input = next()
    repeat {
        let flush = input == nil ? Z_FINISH : Z_NO_FLUSH
        var chunk = input ?? []
        var status: Int32 = Z_OK
        chunk.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            repeat {
                buffer.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    status = deflate(&stream, flush)
                    output += target.prefix(target.count - Int(stream.avail_out))
                }
            } while stream.avail_out == 0
        }
        if flush == Z_FINISH { precondition(status == Z_STREAM_END); break }
        input = next()
    } while true
    return output
}

func gzip(_ bytes: [UInt8]) -> [UInt8] {
    var sent = false
    return gzip { defer { sent = true }; return sent ? nil : bytes }
}

/// Builds zip archives with ZIPFoundation's writer, in memory.
struct ZipBuilder {
    let archive: Archive

    init() throws { archive = try Archive(accessMode: .create) }

    func file(_ path: String, _ text: String, permissions: UInt16 = 0o644, compress: Bool = true) throws {
        let data = Data(text.utf8)
        try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), permissions: permissions,
                             compressionMethod: compress ? .deflate : .none) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }

    func folder(_ path: String) throws {
        try archive.addEntry(with: path, type: .directory, uncompressedSize: Int64(0)) { (_: Int64, _: Int) in Data() }
    }

    func symlink(_ path: String, to target: String) throws {
        let data = Data(target.utf8)
        try archive.addEntry(with: path, type: .symlink, uncompressedSize: Int64(data.count)) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }

    var bytes: [UInt8] { [UInt8](archive.data ?? Data()) }
}

/// A zip written field by field with zlib: fast enough for a gigabyte entry in a debug build
/// (ZIPFoundation's Swift CRC-32 takes over a minute for one), and free to declare any size.
struct RawZip {
    private var body: [UInt8] = []
    private var directory: [UInt8] = []
    private var count = 0

    /// Adds a deflated entry whose content is `size` bytes produced by `chunks`, declaring `declaredSize`.
    mutating func add(_ name: String, size: Int, declaredSize: Int? = nil, chunks: (Int) -> [UInt8]) {
        var produced = 0
        var crc: UInt = 0
        let packed = compress(windowBits: -15, level: 1) {
            guard produced < size else { return nil }
            let chunk = chunks(min(1 << 20, size - produced))
            produced += chunk.count
            crc = chunk.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, UInt32($0.count)) }
            return chunk
        }
        let nameBytes = Array(name.utf8)
        let declared = UInt32(declaredSize ?? size)
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        var common: [UInt8] = le16(20) + le16(0) + le16(8) + le16(0) + le16(0x21)
        common += le32(UInt32(crc)) + le32(UInt32(packed.count)) + le32(declared)
        common += le16(nameBytes.count) + le16(0)
        let offset = UInt32(body.count)
        body += le32(0x0403_4B50) + common
        body += nameBytes + packed
        directory += le32(0x0201_4B50) + le16(0x0314) + common
        directory += le16(0) + le16(0) + le16(0)
        directory += le32(UInt32(0o100644) << 16) + le32(offset) + nameBytes
        count += 1
    }

    mutating func add(_ name: String, text: String) {
        let bytes = Array(text.utf8)
        add(name, size: bytes.count) { _ in bytes }
    }

    var bytes: [UInt8] {
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        var end: [UInt8] = le32(0x0605_4B50) + le16(0) + le16(0) + le16(count) + le16(count)
        end += le32(directory.count) + le32(body.count) + le16(0)
        return body + directory + end
    }
}

/// Overwrites little-endian fields of a zip's central directory record (and local header) for `name`.
func patchZip(_ bytes: [UInt8], entry name: String, centralOffset: Int, localOffset: Int?, value: UInt32) -> [UInt8] {
    var bytes = bytes
    let nameBytes = Array(name.utf8)
    func write(_ at: Int) { for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) } }
    for i in 0..<(bytes.count - 46) {
        if bytes[i...].starts(with: [0x50, 0x4B, 0x01, 0x02]), Array(bytes[(i + 46)..<(i + 46 + nameBytes.count)]) == nameBytes {
            write(i + centralOffset)
        }
        if let localOffset, bytes[i...].starts(with: [0x50, 0x4B, 0x03, 0x04]), Array(bytes[(i + 30)..<(i + 30 + nameBytes.count)]) == nameBytes {
            write(i + localOffset)
        }
    }
    return bytes
}

let manifestJSON = #"{"name": "demo", "command": ["python3", "server.py"]}"#

/// A fresh path under the temporary folder that does not exist yet.
func freshDestination() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("hangar-pkg-\(UUID().uuidString)").path
}

/// Inspects and extracts `bytes`, expecting a refusal of `kind` whose message mentions `mention`;
/// the destination must not exist afterwards, and no staging folder may be left beside it.
func expectRefused(_ bytes: [UInt8], _ kind: PackageError.Kind, mentioning mention: String, limits: PackageLimits = .default,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    let destination = freshDestination()
    do throws(PackageError) {
        try PackageArchive.inspect(bytes: bytes, limits: limits).extract(to: destination)
        Issue.record("expected a \(kind) refusal, but the package was accepted", sourceLocation: sourceLocation)
    } catch {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(mention), "'\(error.message)' should mention '\(mention)'", sourceLocation: sourceLocation)
    }
    #expect(!FileManager.default.fileExists(atPath: destination), sourceLocation: sourceLocation)
    let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)) ?? []
    let name = (destination as NSString).lastPathComponent
    #expect(!leftovers.contains { $0.hasPrefix(".\(name).staging") }, sourceLocation: sourceLocation)
}
