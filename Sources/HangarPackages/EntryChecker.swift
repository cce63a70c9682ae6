/// Turns raw entries into checked `PackageEntry`s one at a time, in archive order: count,
/// type, path, duplicates, declared sizes. The checks that need every entry (parents and
/// link targets) run afterwards in `checkLayout`.
struct EntryChecker {
    let limits: PackageLimits
    private(set) var entries: [PackageEntry] = []
    private var paths: [String: Int] = [:]
    private var total = 0

    init(limits: PackageLimits) { self.limits = limits }

    /// The checked entry, or nil for the root folder entry (`./`) that `tar -C dir .` writes.
    mutating func check(_ raw: RawEntry) throws(PackageError) -> PackageEntry? {
        let display = EntryPath.display(raw.name)
        if raw.kind == .directory && EntryPath.isRoot(raw.name) { return nil }
        guard entries.count < limits.maxEntries else {
            throw PackageError(.tooManyEntries, "the archive has more than \(limits.maxEntries) entries (stopped at '\(display)')", entry: display)
        }
        if case .special(let what) = raw.kind {
            throw PackageError(.specialFile, "entry '\(display)' is a \(what); packages may hold only files, folders and links", entry: display)
        }
        let path = try EntryPath.normalise(raw.name, limits: limits)
        if paths[path] != nil {
            throw PackageError(.duplicatePath, "entry '\(path)' appears more than once in the archive", entry: path)
        }
        let kind: PackageEntry.Kind
        switch raw.kind {
        case .file, .special:
            total += raw.size
            guard total <= limits.maxTotalBytes else {
                throw PackageError(.tooLarge, "the archive unpacks to more than \(limits.maxTotalBytes) bytes (at entry '\(path)', \(raw.size) bytes)", entry: path)
            }
            kind = .file
        case .directory:
            kind = .directory
        case .symlink:
            // Zip symlinks carry their target as content; the caller fills it in.
            kind = .symlink(target: raw.linkTarget.map { String(decoding: $0, as: UTF8.self) } ?? "")
        case .hardLink:
            let target = try hardLinkTarget(raw.linkTarget ?? [], of: path)
            kind = .hardLink(target: target)
        }
        let entry = PackageEntry(path: path, kind: kind, size: kind == .file ? raw.size : 0,
                                 mode: PackageEntry.sanitisedMode(raw.mode, isDirectory: kind == .directory))
        paths[path] = entries.count
        entries.append(entry)
        return entry
    }

    /// Replaces the last entry's symlink target (zip symlinks store it as content).
    mutating func setSymlinkTarget(_ target: [UInt8]) throws(PackageError) {
        guard let last = entries.popLast() else { return }
        guard target.count <= limits.maxPathBytes, !target.contains(0),
              let text = String(validating: target, as: UTF8.self) else {
            throw PackageError(.unsafeLink, "symlink '\(last.path)' has a target that is too long, has a NUL byte or is not UTF-8", entry: last.path)
        }
        entries.append(PackageEntry(path: last.path, kind: .symlink(target: text), size: 0, mode: last.mode))
    }

    /// A hard link must name an earlier regular file of this archive.
    private func hardLinkTarget(_ raw: [UInt8], of path: String) throws(PackageError) -> String {
        let shown = EntryPath.display(raw)
        let target: String
        do {
            target = try EntryPath.normalise(raw, limits: limits)
        } catch {
            throw PackageError(.unsafeLink, "hard link '\(path)' points at '\(shown)', outside the package", entry: path)
        }
        guard let index = paths[target], entries[index].kind == .file else {
            throw PackageError(.unsafeLink, "hard link '\(path)' points at '\(shown)', which is not an earlier regular file of the package", entry: path)
        }
        return target
    }

    // MARK: Checks over the whole archive

    /// Every entry's folders are folders (not files or links), and every symlink resolves,
    /// through the package's other symlinks, to a place inside the package.
    func checkLayout() throws(PackageError) {
        for entry in entries {
            var ancestor = ""
            for component in EntryPath.parentComponents(of: entry.path) {
                ancestor = ancestor.isEmpty ? String(component) : ancestor + "/" + component
                if let index = paths[ancestor], entries[index].kind != .directory {
                    throw PackageError(.unsafePath, "entry '\(entry.path)' lies under '\(ancestor)', which is not a folder", entry: entry.path)
                }
            }
        }
        for entry in entries {
            if case .symlink(let target) = entry.kind { try checkSymlink(entry.path, target: target) }
        }
    }

    /// Resolves the link the way the kernel would, following this package's symlinks (at most
    /// 40), and refuses it if any step leaves the package root.
    private func checkSymlink(_ path: String, target: String) throws(PackageError) {
        func escapes(_ why: String) -> PackageError {
            PackageError(.unsafeLink, "symlink '\(path)' -> '\(target)' \(why)", entry: path)
        }
        guard !target.isEmpty else { throw escapes("has an empty target") }
        guard !target.hasPrefix("/") else { throw escapes("is absolute; links must stay inside the package") }
        guard !target.contains("\\") else { throw escapes("has a backslash in its target") }
        var resolved = EntryPath.parentComponents(of: path).map(String.init)
        var pending = Array(target.split(separator: "/").map(String.init).reversed())
        var hops = 0
        while let component = pending.popLast() {
            switch component {
            case "", ".": continue
            case "..":
                guard !resolved.isEmpty else { throw escapes("resolves outside the package") }
                resolved.removeLast()
            default:
                resolved.append(component)
                guard let index = paths[resolved.joined(separator: "/")], case .symlink(let next) = entries[index].kind else { continue }
                hops += 1
                guard hops <= 40 else { throw escapes("goes through more than 40 links") }
                guard !next.hasPrefix("/") else { throw escapes("goes through '\(entries[index].path)', an absolute link") }
                resolved.removeLast()
                pending += next.split(separator: "/").map(String.init).reversed()
            }
        }
    }
}
