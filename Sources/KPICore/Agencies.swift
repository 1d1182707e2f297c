/// Cơ quan, đơn vị có thẩm quyền đánh giá (issue 18): the nodes of the organization tree marked as
/// agencies, at any depth. Each person belongs to the nearest marked node at or above their unit;
/// an agency opens its own periods, applies its own quota and is approved by its head. Who evaluates
/// an agency's head — and decides on that head's own records — is configured per agency (default:
/// the leaders of the agency above, or of the node above where no agency is above).
public struct AgencyMap: Sendable, Equatable {
    public struct Agency: Sendable, Equatable {
        public var path: String
        public var code: String
        public var name: String
        /// Khối: a code of `Catalogs.blocks`.
        public var block: String
        /// The unit whose leaders evaluate the agency's head (nil: the default above).
        public var headEvaluatorPath: String?

        public init(path: String, code: String, name: String, block: String, headEvaluatorPath: String? = nil) {
            self.path = path; self.code = code; self.name = name; self.block = block; self.headEvaluatorPath = headEvaluatorPath
        }
    }

    /// The agencies by path.
    public let byPath: [String: Agency]

    /// The agencies sorted by path (a parent before its children); sorted once, the map is read on every page.
    public let all: [Agency]

    public init(_ agencies: [Agency]) {
        byPath = Dictionary(agencies.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        all = byPath.values.sorted { $0.path < $1.path }
    }

    public func isAgency(_ path: String) -> Bool { byPath[path] != nil }

    /// The agency a unit belongs to: the nearest marked node at or above it.
    public func agency(of path: String) -> Agency? {
        for p in OrgPath.ancestors(path).reversed() { if let a = byPath[p] { return a } }
        return nil
    }

    /// The agencies strictly below `path` with no other agency between: whose people a period of
    /// `path` leaves out (they have their own).
    public func nested(under path: String) -> [String] {
        byPath.keys.filter { p in
            p != path && p.hasPrefix(path)
                && !OrgPath.ancestors(p).contains { a in a != p && a != path && a.hasPrefix(path) && byPath[a] != nil }
        }.sorted()
    }

    /// Thẩm quyền đánh giá (DOMAIN.md §1): the unit whose leaders evaluate a person and decide on
    /// their records. Staff: their own unit. A unit's head: the unit above. An agency's head: the
    /// unit configured for that agency, else the agency above, else the node above. The root's
    /// leaders have nobody above: their own unit (decisions then take two people).
    public func evaluatorScope(unitPath: String, isLeader: Bool) -> String {
        guard isLeader, let parent = OrgPath.parent(unitPath) else { return unitPath }
        guard let agency = byPath[unitPath] else { return parent }
        return agency.headEvaluatorPath ?? self.agency(of: parent)?.path ?? parent
    }

    /// The map after the node at `oldPath` (nil for a new node) is placed at `newPath` — its
    /// subtree moving with it — marked as `marked`, or unmarked when nil.
    public func changing(node oldPath: String?, to newPath: String, marked: Agency?) -> AgencyMap {
        var list: [Agency] = []
        for a in byPath.values {
            if let oldPath, a.path.hasPrefix(oldPath) {
                guard a.path != oldPath else { continue }
                var moved = a
                moved.path = newPath + a.path.dropFirst(oldPath.count)
                list.append(moved)
            } else {
                list.append(a)
            }
        }
        if var m = marked { m.path = newPath; list.append(m) }
        return AgencyMap(list)
    }

    /// Where nobody stands above a leader (the evaluator scope is their own unit), a decision about
    /// their work takes two people: one leader of that unit proposes it, another confirms it.
    public func needsSecondPerson(unitPath: String, isLeader: Bool) -> Bool {
        isLeader && evaluatorScope(unitPath: unitPath, isLeader: true) == unitPath
    }
}

/// Who belongs to a period: the people under its agency's path, except those under the agencies
/// nested in it when it was opened (they have their own periods). Re-marking the tree takes effect
/// from the next period; an open period keeps the members it was opened with.
public struct PeriodScope: Sendable, Equatable, Hashable {
    public var path: String
    public var excluded: [String]

    public init(path: String, excluded: [String] = []) {
        self.path = path; self.excluded = excluded
    }

    public func contains(_ personPath: String) -> Bool {
        personPath.hasPrefix(path) && !excluded.contains { personPath.hasPrefix($0) }
    }

    /// `excluded` as stored: one path per line.
    public var excludedText: String { excluded.joined(separator: "\n") }

    public static func excluded(fromText text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// The scope among `scopes` a person belongs to: the deepest that contains their path (scopes
    /// of one period code never share a person, see `AgencyRules.overlap`).
    public static func owner(of personPath: String, among scopes: [String: PeriodScope]) -> PeriodScope? {
        for p in OrgPath.ancestors(personPath).reversed() {
            if let s = scopes[p], s.contains(personPath) { return s }
        }
        return nil
    }
}

/// What the tree's marks may not do, in Vietnamese sentences the pages and imports show.
public enum AgencyRules {
    /// An agency inside another: a public service unit (khối Sự nghiệp) under the agency that manages
    /// it, or a body of the same block (a Chi cục under its Sở). A Party body inside a government
    /// agency, or the reverse, would have one block's staff evaluated by another's: refused.
    public static func nestingProblem(innerName: String, innerBlock: String, outerName: String, outerBlock: String) -> String? {
        guard innerBlock != outerBlock, innerBlock != "su-nghiep" else { return nil }
        return """
            «\(innerName)» (khối \(blockLabel(innerBlock))) không thể là cơ quan đánh giá nằm trong «\(outerName)» \
            (khối \(blockLabel(outerBlock))): cơ quan lồng trong cơ quan khác phải cùng khối, hoặc là đơn vị sự \
            nghiệp. \
            Bỏ đánh dấu một trong hai, hoặc sửa khối.
            """
    }

    /// The unit that evaluates an agency's head must stand outside that agency.
    public static func headEvaluatorProblem(agencyName: String, agencyPath: String, evaluatorName: String,
                                            evaluatorPath: String) -> String? {
        guard evaluatorPath.hasPrefix(agencyPath) else { return nil }
        return """
            «\(evaluatorName)» nằm trong chính «\(agencyName)»: người đứng đầu cơ quan do cấp ngoài cơ quan đánh \
            giá. \
            Chọn một đơn vị ở cấp trên, hoặc để trống (lãnh đạo cơ quan cấp trên).
            """
    }

    /// The first agency at or below `path` nested in another agency where the nesting rule forbids it.
    public static func nestingProblem(in map: AgencyMap, under path: String) -> String? {
        for inner in map.all where inner.path.hasPrefix(path) {
            guard let parent = OrgPath.parent(inner.path), let outer = map.agency(of: parent) else { continue }
            if let problem = nestingProblem(innerName: inner.name, innerBlock: inner.block, outerName: outer.name,
                                            outerBlock: outer.block) {
                return problem
            }
        }
        return nil
    }

    /// How many of the people (unit path → count) under the node at `oldPath` had an agency before a
    /// change and have none after it (`after` as given by `AgencyMap.changing`).
    public static func orphans(people: [String: Int], oldPath: String, newPath: String, before: AgencyMap, after: AgencyMap) -> Int {
        people.reduce(0) { sum, entry in
            let (path, n) = entry
            guard path.hasPrefix(oldPath), before.agency(of: path) != nil else { return sum }
            let moved = newPath + path.dropFirst(oldPath.count)
            return after.agency(of: moved) == nil ? sum + n : sum
        }
    }

    /// Marking an agency or naming who evaluates its head changes periods and quota pools: for the
    /// province's administrators, not a unit's (a unit admin could otherwise split off a quota).
    public static let markRefusal = """
        chỉ quản trị hệ thống toàn tỉnh mới đánh dấu cơ quan có thẩm quyền đánh giá hoặc đổi đơn vị \
        đánh giá người đứng đầu (việc này thay đổi kỳ đánh giá và hạn mức xuất sắc)
        """

    /// Unmarking or moving a node would leave people without an agency.
    public static func orphanProblem(name: String, people: Int) -> String {
        """
        \(people) cán bộ của «\(name)» sẽ không thuộc cơ quan có thẩm quyền đánh giá nào. Đánh dấu một đơn \
        vị ở \
        cấp trên (hoặc các đơn vị bên dưới) là cơ quan trước, rồi mới bỏ đánh dấu.
        """
    }

    /// A period of `scope` would share people with an existing period of the same code: refused
    /// when the existing one (opened before the marks changed) already holds the new agency's
    /// people; the new agency has its own periods from the next one.
    public static func overlap(_ scope: PeriodScope, with existing: PeriodScope) -> Bool {
        if scope.path.hasPrefix(existing.path) { return existing.contains(scope.path) }
        return false
    }

    static func blockLabel(_ code: String) -> String {
        Catalogs.blocks.first { $0.code == code }?.label ?? code
    }
}
