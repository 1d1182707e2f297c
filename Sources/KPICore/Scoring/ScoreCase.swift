import Foundation

/// The `kpi score` case format (docs/kpi-score.md): people with their periods, tasks and general
/// inputs, an optional framework and quota; the result as JSON with numbers rounded half-up to 2 decimals.
public enum ScoreCase {
    /// A malformed case: the field's path and what is wrong, in Vietnamese.
    public struct InputError: Error, Equatable, CustomStringConvertible {
        public var field: String
        public var message: String
        public var description: String { "Trường «\(field)»: \(message)" }
    }

    public static func run(_ data: Data) throws -> Data {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw InputError(field: "$", message: "không phải một đối tượng JSON hợp lệ")
        }
        let code = try optionalString(root["framework"], "framework") ?? "cong-chuc"
        guard let rules = ScoringRules.seeded(code) else {
            throw InputError(field: "framework",
                             message: "không có bộ chỉ số «\(code)»; dùng cong-chuc, vien-chuc hoặc can-bo")
        }
        guard let peopleRaw = root["people"] as? [Any] else { throw InputError(field: "people", message: "cần một danh sách") }
        let people = try peopleRaw.enumerated().map { try person($1, "people[\($0)]") }
        let quota = try root["quota"].map { try quotaRule($0, "quota") }
        let results = try ScoringEngine(rules: rules).rank(people, quota: quota)
        let out: [String: Any] = ["framework": code, "people": results.map(encode)]
        return try JSONSerialization.data(withJSONObject: out, options: [.prettyPrinted, .sortedKeys])
    }

    static func object(_ v: Any?, _ path: String) throws -> [String: Any] {
        guard let o = v as? [String: Any] else { throw InputError(field: path, message: "cần một đối tượng JSON") }
        return o
    }

    static func optionalString(_ v: Any?, _ path: String) throws -> String? {
        guard let v, !(v is NSNull) else { return nil }
        guard let s = v as? String else { throw InputError(field: path, message: "cần một chuỗi") }
        return s
    }

    static func number(_ v: Any?, _ path: String, required: Bool = true, range: ClosedRange<Double>? = nil) throws -> Rational? {
        guard let v, !(v is NSNull) else {
            if required { throw InputError(field: path, message: "bắt buộc") }
            return nil
        }
        // An exact value may be written as a string: "9.5" or a fraction "26/3".
        if let text = v as? String {
            guard let r = Rational(exact: text) else { throw InputError(field: path,
                                                                        message: "cần một số (hoặc phân số dạng «26/3»)") }
            if let range, r < Rational(range.lowerBound)! || r > Rational(range.upperBound)! {
                throw InputError(field: path, message: "phải trong khoảng \(range.lowerBound)…\(range.upperBound)")
            }
            return r
        }
        // JSON true/false also arrive as numbers (class __NSCFBoolean); they are not numbers here.
        guard !String(describing: type(of: v)).contains("Boolean"), let n = v as? NSNumber, let r = Rational(n.doubleValue) else {
            throw InputError(field: path, message: "cần một số")
        }
        if let range, !range.contains(n.doubleValue) {
            throw InputError(field: path, message: "phải trong khoảng \(range.lowerBound)…\(range.upperBound)")
        }
        return r
    }

    static func count(_ v: Any?, _ path: String) throws -> Int {
        guard let r = try number(v, path, required: false, range: 0...1000) else { return 0 }
        guard r.denominator == 1 else { throw InputError(field: path, message: "phải là số nguyên") }
        return Int(r.numerator)
    }

    static func person(_ v: Any, _ path: String) throws -> PersonInput {
        let o = try object(v, path)
        guard let id = o["id"] as? String, !id.isEmpty else { throw InputError(field: "\(path).id",
                                                                               message: "cần một mã người không trống") }
        let group = try optionalString(o["group"], "\(path).group") ?? "chung"
        var leader: LeaderInputs?
        if let l = o["leader"], !(l is NSNull) {
            let lo = try object(l, "\(path).leader")
            func component(_ key: String) throws -> Rational {
                let r = try number(lo[key], "\(path).leader.\(key)")!
                guard r == Rational(100) || r == Rational(50) else {
                    throw InputError(field: "\(path).leader.\(key)", message: "chỉ nhận 100 hoặc 50 (phần trăm)")
                }
                return r
            }
            leader = LeaderInputs(unitResult: try component("unitResult"), organizing: try component("organizing"))
        }
        var flags = Set<OverrideFlag>()
        if let f = o["flags"], !(f is NSNull) {
            guard let list = f as? [Any] else { throw InputError(field: "\(path).flags", message: "cần một danh sách") }
            for (i, item) in list.enumerated() {
                guard let s = item as? String, let flag = OverrideFlag(rawValue: s) else {
                    throw InputError(field: "\(path).flags[\(i)]", message: "chỉ nhận discipline, degradation, unit-corruption")
                }
                flags.insert(flag)
            }
        }
        guard let periodsRaw = o["periods"] as? [Any] else { throw InputError(field: "\(path).periods",
                                                                              message: "cần một danh sách các kỳ") }
        let periods = try periodsRaw.enumerated().map { try period($1, "\(path).periods[\($0)]") }
        return PersonInput(id: id, group: group, leader: leader, flags: flags, periods: periods)
    }

    static func period(_ v: Any, _ path: String) throws -> PeriodInput {
        let o = try object(v, path)
        let tasksRaw = (o["tasks"] as? [Any]) ?? []
        if o["tasks"] != nil && !(o["tasks"] is [Any]) { throw InputError(field: "\(path).tasks", message: "cần một danh sách") }
        let tasks = try tasksRaw.enumerated().map { i, t -> TaskRecord in
            let tp = "\(path).tasks[\(i)]"
            let to = try object(t, tp)
            let units = try number(to["units"], "\(tp).units", range: 0...1_000_000)!
            guard let status = (to["status"] as? String).flatMap(TaskStatus.init(rawValue:)) else {
                throw InputError(field: "\(tp).status", message: "chỉ nhận completed, open, cancelled")
            }
            let major = try count(to["majorErrors"], "\(tp).majorErrors")
            let exempt = try count(to["exemptErrors"], "\(tp).exemptErrors")
            guard exempt <= major else {
                throw InputError(field: "\(tp).exemptErrors",
                                 message: "số lỗi được miễn (\(exempt)) không được lớn hơn số lỗi lớn (\(major))")
            }
            // A group of tasks (see `ScoreInputData.TaskGroup`): their summed units, counted `count` times.
            let n = to["count"] == nil ? 1 : try count(to["count"], "\(tp).count")
            guard n >= 1 else { throw InputError(field: "\(tp).count", message: "số nhiệm vụ của dòng phải từ 1 trở lên") }
            let delays = try count(to["delays"], "\(tp).delays")
            let exemptDelays = try count(to["exemptDelays"], "\(tp).exemptDelays")
            guard exemptDelays <= delays else {
                throw InputError(field: "\(tp).exemptDelays",
                                 message: """
                                     số lần chậm được miễn (\(exemptDelays)) không được lớn hơn số lần chậm \
                                     (\(delays))
                                     """)
            }
            return TaskRecord(units: units, status: status, majorErrors: major, exemptErrors: exempt, delays: delays,
                              exemptDelays: exemptDelays, count: n)
        }
        var general = GeneralInputs()
        if let g = o["general"], !(g is NSNull) {
            let go = try object(g, "\(path).general")
            general.satisfaction = try number(go["satisfaction"], "\(path).general.satisfaction", required: false, range: 0...100)
            general.coordination = try number(go["coordination"], "\(path).general.coordination", required: false, range: 0...100)
            general.discipline = try number(go["discipline"], "\(path).general.discipline", required: false, range: 0...100)
        }
        let rubric = try number(o["rubricTaskScore"], "\(path).rubricTaskScore", required: false, range: 0...100)
        var onLeave = false
        if let l = o["onLeave"], !(l is NSNull) {
            guard let b = l as? Bool else { throw InputError(field: "\(path).onLeave", message: "chỉ nhận true hoặc false") }
            onLeave = b
        }
        return PeriodInput(tasks: tasks, general: general, rubricTaskScore: rubric, onLeave: onLeave)
    }

    static func quotaRule(_ v: Any, _ path: String) throws -> QuotaRule {
        let o = try object(v, path)
        let rate = try number(o["rate"], "\(path).rate", range: 0...1)!
        let pool = try optionalString(o["pool"], "\(path).pool").map {
            guard let p = QuotaRule.Pool(rawValue: $0) else { throw InputError(field: "\(path).pool",
                                                                               message: "chỉ nhận good-or-better hoặc all") }
            return p
        } ?? .goodOrBetter
        let rounding = try optionalString(o["rounding"], "\(path).rounding").map {
            guard let r = QuotaRule.Rounding(rawValue: $0) else { throw InputError(field: "\(path).rounding",
                                                                                   message: "chỉ nhận floor, round hoặc ceil") }
            return r
        } ?? .floor
        return QuotaRule(rate: rate, pool: pool, rounding: rounding)
    }

    static func json(_ r: Rational?) -> Any {
        guard let r else { return NSNull() }
        // The two-decimal text read back as a Double prints as that text (shortest representation).
        return Double(r.fixed(2)) ?? 0
    }

    static func encode(_ p: PersonResult) -> [String: Any] {
        [
            "id": p.id,
            "group": p.group,
            "periods": p.periods.map { r -> [String: Any] in
                ["a": json(r.a), "b": json(r.b), "c": json(r.c), "taskScore": json(r.taskScore),
                 "generalScore": json(r.generalScore), "total": json(r.total), "notes": r.notes]
            },
            "yearScore": json(p.yearScore),
            "level": p.level?.rawValue ?? NSNull(),
            "levelName": p.level?.label ?? NSNull(),
            "tieAtQuotaEdge": p.tieAtQuotaEdge,
            "reasons": p.reasons,
        ]
    }
}
