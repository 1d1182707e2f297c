/// Materialized paths of the organization tree: "/<root>/<child>/…/". A subtree is every path with
/// the root's path as prefix, which a database answers with one indexed `LIKE 'prefix%'`.
public enum OrgPath {
    public static let separator: Character = "/"

    public static func make(parent: String?, id: String) -> String {
        (parent ?? "/") + id + "/"
    }

    /// True when `target` is `scope` itself or lies below it.
    public static func contains(_ scope: String, _ target: String) -> Bool {
        target.hasPrefix(scope)
    }

    /// Number of levels (1 for a root).
    /// The paths not inside another of them (a viewer's scopes without the nested ones), sorted.
    public static func outermost(_ paths: some Sequence<String>) -> [String] {
        let all = Set(paths)
        return all.filter { s in !all.contains { $0 != s && s.hasPrefix($0) } }.sorted()
    }

    public static func depth(_ path: String) -> Int {
        path.split(separator: separator).count
    }

    /// The path of the ancestor at `depth` levels (the path itself when it is not that deep).
    public static func prefix(_ path: String, depth: Int) -> String {
        let parts = ids(path)
        guard parts.count > depth else { return path }
        return "/" + parts.prefix(depth).joined(separator: "/") + "/"
    }

    /// The path of the node above; nil for a root (and for "/").
    public static func parent(_ path: String) -> String? {
        let d = depth(path)
        return d > 1 ? prefix(path, depth: d - 1) : nil
    }

    /// "/" and every node's path from the root down to `path` itself: the scopes that contain it.
    public static func ancestors(_ path: String) -> [String] {
        var result = ["/"]
        var current = "/"
        for id in ids(path) {
            current += id + "/"
            result.append(current)
        }
        return result
    }

    /// The ids along the path from the root.
    public static func ids(_ path: String) -> [String] {
        path.split(separator: separator).map(String.init)
    }
}

/// Checks of the tree's shape that do not need the database.
public enum OrgTreeRules {
    /// Codes that lie on a cycle when each code points at its parent code.
    /// Used for imports (the file may re-parent many nodes at once) and for edits.
    public static func cycles(parents: [String: String?]) -> Set<String> {
        var onCycle = Set<String>()
        for start in parents.keys {
            var seen: [String] = []
            var current: String? = start
            while let c = current, !seen.contains(c) {
                seen.append(c)
                current = parents[c] ?? nil
            }
            if let c = current, let i = seen.firstIndex(of: c) {
                onCycle.formUnion(seen[i...])
            }
        }
        return onCycle
    }
}
