import Foundation

/// Thông điệp trạng thái edXML (QCVN 102:2016) that the receiving unit returns to the sender of a directive as
/// its task moves: 03 đã tiếp nhận, 05 đang xử lý, 06 đã xử lý xong, 02 từ chối (issue 20, item 5).
public enum EdXMLStatusCode: String, CaseIterable, Sendable, Codable {
    case refused = "02"
    case received = "03"
    case processing = "05"
    case done = "06"

    public var label: String {
        switch self {
        case .refused: "Từ chối"
        case .received: "Đã tiếp nhận"
        case .processing: "Đang xử lý"
        case .done: "Đã xử lý xong"
        }
    }

    /// The status a line of the task's timeline (its kind, the state it led to) announces, if any.
    public static func announced(kind: String, toState: String) -> EdXMLStatusCode? {
        switch kind {
        case "tao": .received
        case "phan-cong", "bat-dau", "tien-do", "gui-nghiem-thu": .processing
        case "nghiem-thu" where toState == TaskState.completed.rawValue: .done
        case "huy", "khong-duyet": .refused
        default: nil
        }
    }
}

/// One status message: what it says and when.
public struct EdXMLStatusEntry: Sendable, Equatable {
    public var code: EdXMLStatusCode
    public var at: Date
    /// Who acted (the unit's head, the lead), and the note of the step (a refusal's reason).
    public var actor: String
    public var note: String

    public init(code: EdXMLStatusCode, at: Date, actor: String, note: String) {
        self.code = code; self.at = at; self.actor = actor; self.note = note
    }

    /// The messages a task's timeline gives, in order: each status once, at its first step; a refusal ends
    /// the list, a done task says nothing more.
    public static func from(timeline: [(kind: String, toState: String, at: Date, actor: String, note: String)]) -> [EdXMLStatusEntry] {
        var out: [EdXMLStatusEntry] = []
        for line in timeline.sorted(by: { $0.at < $1.at }) {
            guard let code = EdXMLStatusCode.announced(kind: line.kind, toState: line.toState),
                  !out.contains(where: { $0.code == code || $0.code == .refused || $0.code == .done }) else { continue }
            // Work reported before the receipt was seen still follows it.
            if code != .received && out.isEmpty { out.append(.init(code: .received, at: line.at, actor: line.actor, note: "")) }
            out.append(.init(code: code, at: line.at, actor: line.actor, note: line.note))
        }
        return out
    }
}

/// What a status message refers to and who sends it.
public struct EdXMLStatusMessage: Sendable, Equatable {
    /// The original document: its sender, number, date and id (`ResponseFor`).
    public var senderID: String
    public var number: String
    public var promulgationDate: DateOnly
    public var documentID: String
    /// The receiving unit that answers (`From`).
    public var unit: EdXMLPackage.Organ
    public var entry: EdXMLStatusEntry

    public init(senderID: String, number: String, promulgationDate: DateOnly, documentID: String, unit: EdXMLPackage.Organ,
                entry: EdXMLStatusEntry) {
        self.senderID = senderID; self.number = number; self.promulgationDate = promulgationDate
        self.documentID = documentID; self.unit = unit; self.entry = entry
    }

    /// The message as an edXML status package (`edXMLEnvelope/edXMLHeader/Status`), time in Việt Nam.
    public var xml: String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        let local = entry.at.addingTimeInterval(7 * 3_600)
        let day = DateOnly.inVietnam(entry.at)
        let seconds = Int(local.timeIntervalSince1970) % 86_400
        let time = String(format: "%04d/%02d/%02d %02d:%02d:%02d", day.year, day.month, day.day, seconds / 3_600,
                          seconds % 3_600 / 60, seconds % 60)
        let date = String(format: "%04d/%02d/%02d", promulgationDate.year, promulgationDate.month, promulgationDate.day)
        let description = entry.note.isEmpty ? entry.code.label : "\(entry.code.label): \(entry.note)"
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <edXML:edXMLEnvelope xmlns:edXML="\(EdXML.namespace)">
              <edXML:edXMLHeader>
                <edXML:Status>
                  <edXML:ResponseFor>
                    <edXML:OrganId>\(esc(senderID))</edXML:OrganId>
                    <edXML:Code>\(esc(number))</edXML:Code>
                    <edXML:PromulgationDate>\(date)</edXML:PromulgationDate>
                    <edXML:DocumentId>\(esc(documentID))</edXML:DocumentId>
                  </edXML:ResponseFor>
                  <edXML:From>
                    <edXML:OrganId>\(esc(unit.id))</edXML:OrganId>
                    <edXML:OrganName>\(esc(unit.name))</edXML:OrganName>
                  </edXML:From>
                  <edXML:StatusCode>\(entry.code.rawValue)</edXML:StatusCode>
                  <edXML:Description>\(esc(description))</edXML:Description>
                  <edXML:Timestamp>\(time)</edXML:Timestamp>
                  <edXML:StaffInfo><edXML:Staff>\(esc(entry.actor))</edXML:Staff></edXML:StaffInfo>
                </edXML:Status>
              </edXML:edXMLHeader>
            </edXML:edXMLEnvelope>

            """
    }
}
