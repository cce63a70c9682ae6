import Foundation
import HangarCore

/// Where this machine's cgroup controllers live and where Hangar may create workload groups.
///
/// v1: one hierarchy per controller, each group at `<mount><own path>/hangar/<name>`.
/// v2: one tree; `<mount><own path>/hangar` gets `+memory +pids +cpu` in its parent's
/// `cgroup.subtree_control` (which the kernel refuses when the parent holds processes,
/// unless it is the root: run the daemon in a delegated leaf for v2).
public struct CgroupHierarchy: Sendable, Hashable {
    public enum Version: String, Sendable, Hashable { case v1, v2 }
    public enum Controller: String, Sendable, Hashable, CaseIterable { case memory, pids, cpu }

    public let version: Version
    /// The folder under which Hangar creates workload groups, per controller (v2: all the same).
    public let bases: [Controller: String]

    /// Reads /proc/self/cgroup and /proc/self/mountinfo; nil when no usable controller is mounted.
    public static func detect() -> CgroupHierarchy? {
        guard let membership = ProcFile.read("/proc/self/cgroup"),
              let mountinfo = ProcFile.read("/proc/self/mountinfo")
        else { return nil }
        var v1Paths: [String: String] = [:], v2Path: String?
        for line in membership.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[0] == "0" && parts[1].isEmpty { v2Path = String(parts[2]) }
            for controller in parts[1].split(separator: ",") { v1Paths[String(controller)] = String(parts[2]) }
        }
        // Mount point and the mount's root inside the hierarchy (not "/" in some containers).
        var v1Mounts: [String: (String, String)] = [:], v2Mount: (String, String)?
        for line in mountinfo.split(separator: "\n") {
            // id parent major:minor root mountpoint options ... - fstype source superoptions
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " "), right = halves[1].split(separator: " ")
            guard left.count >= 5, right.count >= 3 else { continue }
            let mountPoint = String(left[4]), root = String(left[3])
            if right[0] == "cgroup2" { v2Mount = (mountPoint, root) }
            if right[0] == "cgroup" {
                for option in right[2].split(separator: ",") { v1Mounts[String(option)] = (mountPoint, root) }
            }
        }
        var bases: [Controller: String] = [:]
        for controller in Controller.allCases {
            if case let (mount, root)? = v1Mounts[controller.rawValue], let own = v1Paths[controller.rawValue] {
                bases[controller] = join(mount, relative(own, to: root), "hangar")
            }
        }
        if !bases.isEmpty { return CgroupHierarchy(version: .v1, bases: bases) }
        guard case let (mount, root)? = v2Mount, let own = v2Path.map({ relative($0, to: root) }),
              let available = try? String(contentsOfFile: join(mount, own, "cgroup.controllers"), encoding: .utf8)
        else { return nil }
        let names = Set(available.split(whereSeparator: \.isWhitespace).map(String.init))
        for controller in Controller.allCases where names.contains(controller.rawValue) {
            bases[controller] = join(mount, own, "hangar")
        }
        return bases.isEmpty ? nil : CgroupHierarchy(version: .v2, bases: bases)
    }

    /// A group path relative to a mount whose root is `root`.
    static func relative(_ path: String, to root: String) -> String {
        root != "/" && path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
    }

    static func join(_ parts: String...) -> String {
        var out = ""
        for part in parts {
            let trimmed = part.split(separator: "/").joined(separator: "/")
            if !trimmed.isEmpty { out += "/" + trimmed }
        }
        return out.isEmpty ? "/" : out
    }

    /// Creates the `hangar` folders (and on v2 enables the controllers for them); returns the
    /// controllers that are usable, with a reason for each that is not.
    func prepare() -> (usable: Set<Controller>, problems: [Controller: String]) {
        var usable = Set<Controller>(), problems: [Controller: String] = [:]
        for controller in Controller.allCases {
            guard let base = bases[controller] else {
                problems[controller] = "the \(controller.rawValue) controller is not mounted for this process"
                continue
            }
            if version == .v2 {
                let parent = (base as NSString).deletingLastPathComponent
                if let err = CgroupFile.write("+\(controller.rawValue)", to: parent + "/cgroup.subtree_control") {
                    problems[controller] = "cannot enable \(controller.rawValue) below \(parent): \(err)"
                    continue
                }
            }
            if let err = CgroupFile.makeDirectory(base) {
                problems[controller] = "cannot create \(base): \(err)"
                continue
            }
            if version == .v2,
               let err = CgroupFile.write("+\(controller.rawValue)", to: base + "/cgroup.subtree_control") {
                problems[controller] = "cannot enable \(controller.rawValue) in \(base): \(err)"
                continue
            }
            usable.insert(controller)
        }
        return (usable, problems)
    }
}

/// Small, errno-reporting file operations on cgroup files.
enum CgroupFile {
    /// Writes `text` in one write(2) (cgroup files want that); nil or the error text.
    static func write(_ text: String, to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        return n == bytes.count ? nil : String(cString: strerror(n < 0 ? errno : EIO))
    }

    static func read(_ path: String) -> String? { ProcFile.read(path) }

    /// `key value` lines (memory.events, cpu.stat, pids.events, memory.oom_control).
    static func keyed(_ path: String) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for line in (read(path) ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = UInt64(parts[1]) { out[String(parts[0])] = value }
        }
        return out
    }

    static func number(_ path: String) -> UInt64? {
        read(path).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// mkdir that accepts an existing folder.
    static func makeDirectory(_ path: String) -> String? {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return nil }
        return String(cString: strerror(errno))
    }

    static func pids(_ path: String) -> [pid_t] {
        (read(path) ?? "").split(separator: "\n").compactMap { pid_t($0) }
    }
}
