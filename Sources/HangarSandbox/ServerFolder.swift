import Foundation

/// Makes a server's folder the workload uid's own before its sandbox starts.
enum ServerFolder {
    /// Checks that `uid` can reach the folder (every parent searchable) and chowns the folder
    /// and everything in it (without following links) to uid:uid.
    static func prepare(_ path: String, for uid: uid_t) throws {
        var parent = (path as NSString).deletingLastPathComponent
        while parent != "/" && !parent.isEmpty {
            var info = stat()
            guard stat(parent, &info) == 0 else {
                throw SandboxError(.hostFiles, "cannot inspect a parent of the server folder", detail: parent)
            }
            if info.st_mode & S_IXOTH == 0 && info.st_uid != uid {
                throw SandboxError(.hostFiles, "a parent of the server folder is not searchable by the workload uid; "
                                   + "put server folders under a world-searchable (o+x) directory", detail: parent)
            }
            parent = (parent as NSString).deletingLastPathComponent
        }
        try chown(path, uid)
        guard let walker = FileManager.default.enumerator(atPath: path) else { return }
        while let relative = walker.nextObject() as? String {
            try chown(path + "/" + relative, uid)
        }
    }

    private static func chown(_ path: String, _ uid: uid_t) throws {
        guard lchown(path, uid, gid_t(uid)) == 0 else {
            throw SandboxError(.hostFiles, "cannot give the server folder to the workload uid",
                               detail: "\(path): \(String(cString: strerror(errno)))")
        }
    }
}
