import CHangarArchive
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension InspectedPackage {
    /// Writes the package into `directory`, which must not exist: everything goes into a fresh
    /// staging folder beside it (same filesystem), with every bound checked again while writing,
    /// and the folder is renamed into place only when complete. On failure nothing is left behind.
    public func extract(to directory: String) throws(PackageError) {
        let destination = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var info = stat()
        guard lstat(destination, &info) != 0 else {
            throw PackageError(.destinationExists, "'\(destination)' already exists; extract into a new folder")
        }
        let parent = (destination as NSString).deletingLastPathComponent
        let staging = (parent.isEmpty ? "." : parent) + "/." + (destination as NSString).lastPathComponent
            + ".staging-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        guard mkdir(staging, 0o700) == 0 else {
            throw PackageError(.writeFailed, "cannot create a staging folder beside '\(destination)': \(Self.lastError())")
        }
        do throws(PackageError) {
            try write(into: staging)
            guard chmod(staging, 0o755) == 0 else { throw PackageError(.writeFailed, "cannot set the package folder's mode: \(Self.lastError())") }
            try Self.moveIntoPlace(staging, destination)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
    }

    /// Walks the archive again, checking each entry as inspection did and that it is the same
    /// entry, and writes it; symlinks come last, so no write ever goes through one.
    private func write(into root: String) throws(PackageError) {
        var walk = try format.walk(archive, limits: limits)
        var checker = EntryChecker(limits: limits)
        var symlinks: [(path: String, target: [UInt8])] = []
        var index = 0
        while let raw = try walk.next() {
            guard let entry = try checker.check(raw) else { continue }
            guard index < entries.count, entries[index].path == entry.path else {
                throw PackageError(.corruptArchive, "entry '\(entry.path)' differs from what inspection saw", entry: entry.path)
            }
            index += 1
            let target = root + "/" + entry.path
            switch entry.kind {
            case .directory:
                try Self.makeFolders(root, EntryPath.parentComponents(of: entry.path) + [Substring(entry.path.split(separator: "/").last ?? "")])
            case .file:
                try Self.makeFolders(root, EntryPath.parentComponents(of: entry.path))
                try writeFile(entry, at: target, from: &walk)
            case .hardLink(let source):
                try Self.makeFolders(root, EntryPath.parentComponents(of: entry.path))
                guard link(root + "/" + source, target) == 0 else {
                    throw PackageError(.writeFailed, "cannot create hard link '\(entry.path)': \(Self.lastError())", entry: entry.path)
                }
            case .symlink(let linkTarget):
                var bytes = Array(linkTarget.utf8)
                if raw.linkTarget == nil {
                    bytes = []
                    try walk.readContent { chunk throws(PackageError) in
                        bytes += chunk
                        guard bytes.count <= limits.maxPathBytes else {
                            throw PackageError(.unsafeLink, "symlink '\(entry.path)' has a target longer than \(limits.maxPathBytes) bytes", entry: entry.path)
                        }
                    }
                    try checker.setSymlinkTarget(bytes)
                }
                symlinks.append((entry.path, bytes))
            }
        }
        try walk.finish()
        guard index == entries.count else { throw PackageError(.corruptArchive, "the archive has fewer entries than inspection saw") }
        try checker.checkLayout()
        for (path, linkTarget) in symlinks {
            try Self.makeFolders(root, EntryPath.parentComponents(of: path))
            let created = linkTarget.withUnsafeBufferPointer { buffer in
                String(decoding: buffer, as: UTF8.self).withCString { symlink($0, root + "/" + path) }
            }
            guard created == 0 else { throw PackageError(.writeFailed, "cannot create symlink '\(path)': \(Self.lastError())", entry: path) }
        }
    }

    private func writeFile(_ entry: PackageEntry, at path: String, from walk: inout any ArchiveWalk) throws(PackageError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PackageError(.writeFailed, "cannot create '\(entry.path)': \(Self.lastError())", entry: entry.path) }
        defer { close(fd) }
        var written = 0
        try walk.readContent { chunk throws(PackageError) in
            written += chunk.count
            guard written <= entry.size else {
                throw PackageError(.sizeMismatch, "entry '\(entry.path)' holds more than its \(entry.size) declared bytes", entry: entry.path)
            }
            var offset = 0
            while offset < chunk.count {
                let count = chunk.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                guard count > 0 else {
                    throw PackageError(.writeFailed, "cannot write '\(entry.path)': \(Self.lastError())", entry: entry.path)
                }
                offset += count
            }
        }
        guard written == entry.size else {
            throw PackageError(.sizeMismatch, "entry '\(entry.path)' holds \(written) bytes, not its declared \(entry.size)", entry: entry.path)
        }
        guard fchmod(fd, mode_t(entry.mode)) == 0 else {
            throw PackageError(.writeFailed, "cannot set the mode of '\(entry.path)': \(Self.lastError())", entry: entry.path)
        }
    }

    /// Creates each missing folder on the way (0755); an existing one must be a real folder.
    private static func makeFolders(_ root: String, _ components: [Substring]) throws(PackageError) {
        var path = root
        for component in components where !component.isEmpty {
            path += "/" + component
            if mkdir(path, 0o755) == 0 {
                guard chmod(path, 0o755) == 0 else { throw PackageError(.writeFailed, "cannot set the mode of '\(path)': \(lastError())") }
                continue
            }
            var info = stat()
            guard errno == EEXIST, lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw PackageError(.writeFailed, "cannot create folder '\(component)': \(lastError())", entry: String(component))
            }
        }
    }

    /// Renames the finished staging folder to the destination, refusing to replace anything.
    private static func moveIntoPlace(_ staging: String, _ destination: String) throws(PackageError) {
        guard renameat2(AT_FDCWD, staging, AT_FDCWD, destination, UInt32(HANGAR_RENAME_NOREPLACE)) == 0 else {
            if errno == EEXIST {
                throw PackageError(.destinationExists, "'\(destination)' appeared while the package was being written")
            }
            throw PackageError(.writeFailed, "cannot move the package into '\(destination)': \(lastError())")
        }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
