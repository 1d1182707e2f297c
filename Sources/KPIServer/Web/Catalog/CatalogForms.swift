import KPICore
import Vapor

/// Form fields and display values for catalog records, driven by `FieldSpec`.
enum CatalogForms {
    static func display(_ f: FieldSpec, _ value: String, refs: RefIndex?) -> String {
        switch f.kind {
        case .choice(let choices): return Catalogs.label(choices, value)
        case .flag: return value == "1" ? "Có" : (value == "0" ? "Không" : "")
        case .date: return DateOnly(parsing: value)?.display ?? value
        case .reference("co-quan"):
            guard !value.isEmpty, let o = refs?.org(code: value) else { return value }
            return "\(o.name) (\(value))"
        case .reference("vi-tri-viec-lam"):
            guard !value.isEmpty, let id = refs?.positionIDsByCode[value], let p = refs?.positionsByID[id] else { return value }
            return "\(p.name) (\(value))"
        case .reference("nhom-vi-tri"):
            guard !value.isEmpty, let id = refs?.groupIDsByCode[value], let g = refs?.groupsByID[id] else { return value }
            return "\(g.name) (\(value))"
        default: return value
        }
    }

    /// The value written to an export file: words rather than codes for choices, dd/MM/yyyy dates;
    /// the import reads all of these back.
    static func exportValue(_ f: FieldSpec, _ value: String) -> String {
        switch f.kind {
        case .choice, .flag, .date: display(f, value, refs: nil)
        default: value
        }
    }

    static func field(_ f: FieldSpec, value: String, problem: String?, refs: RefIndex) -> HTML {
        let id = "f_" + f.key
        let req: HTML = f.required ? " <span class=\"req\" title=\"bắt buộc\">*</span>" : .empty
        let help: HTML = f.help.map { "<small id=\"\(id)_help\">\($0)</small>" } ?? .empty
        let err: HTML = problem.map { "<small class=\"err\" id=\"\(id)_err\">\($0)</small>" } ?? .empty
        let invalid: HTML = problem == nil ? .empty : " aria-invalid=\"true\" aria-describedby=\"\(id)_err\""
        let required: HTML = f.required ? " required" : .empty
        let control: HTML
        switch f.kind {
        case .choice(let choices):
            let blank: HTML = f.required ? .empty : "<option value=\"\"></option>"
            control = """
                <select id="\(id)" name="\(f.key)"\(required)\(invalid)>\(blank)\(choices.map { c in
                    HTML("<option value=\"\(c.code)\"\(HTML.when(c.code == value, " selected"))>\(c.label)</option>")
                })</select>
                """
        case .flag:
            control = """
                <select id="\(id)" name="\(f.key)"\(invalid)><option value="0">Không</option>\
                <option value="1"\(HTML.when(value == "1", " selected"))>Có</option></select>
                """
        case .date:
            let shown = DateOnly(parsing: value)?.display ?? value
            control = """
                <input id=\"\(id)\" name=\"\(f.key)\" value=\"\(shown)\" placeholder=\"dd/MM/yyyy\" inputmode=\"numeric\" \
                class=\"date\"\(required)\(invalid)>
                """
        case .reference("co-quan"), .references("co-quan"):
            control = "<input id=\"\(id)\" name=\"\(f.key)\" value=\"\(value)\" list=\"orgs\" autocomplete=\"off\"\(required)\(invalid)>"
        case .reference("vi-tri-viec-lam"):
            control = """
                <input id=\"\(id)\" name=\"\(f.key)\" value=\"\(value)\" list=\"positions\" autocomplete=\"off\"\(required)\(invalid)>
                """
        case .reference("nhom-vi-tri"):
            control = """
                <select id="\(id)" name="\(f.key)"\(required)\(invalid)>\(refs.groupsByID.values.sorted { $0.code < $1.code }.map { g in
                    HTML("<option value=\"\(g.code)\"\(HTML.when(g.code == value, " selected"))>\(g.name) (\(g.code))</option>")
                })</select>
                """
        case .text(let max) where max > 255:
            control = "<textarea id=\"\(id)\" name=\"\(f.key)\" maxlength=\"\(max)\" rows=\"3\"\(invalid)>\(value)</textarea>"
        case .text(let max):
            control = "<input id=\"\(id)\" name=\"\(f.key)\" value=\"\(value)\" maxlength=\"\(max)\"\(required)\(invalid)>"
        case .decimal:
            control = """
                <input id=\"\(id)\" name=\"\(f.key)\" value=\"\(value)\" inputmode=\"decimal\" maxlength=\"20\"\(required)\(invalid)>
                """
        case .integer:
            control = "<input id=\"\(id)\" name=\"\(f.key)\" value=\"\(value)\" inputmode=\"numeric\"\(invalid)>"
        case .email:
            control = "<input id=\"\(id)\" name=\"\(f.key)\" value=\"\(value)\" type=\"email\"\(invalid)>"
        default:
            control = "<input id=\"\(id)\" name=\"\(f.key)\" value=\"\(value)\" maxlength=\"50\"\(required)\(invalid)>"
        }
        return "<div class=\"field\"><label for=\"\(id)\">\(f.label)\(req)</label>\(control)\(help)\(err)</div>"
    }

    /// Datalists of the organizations and positions the user may pick.
    static func datalists(_ refs: RefIndex, principal: Principal) -> HTML {
        let orgs = refs.orgsByID.values.filter { principal.can(.viewCatalog, at: $0.path) && $0.active }
            .sorted { $0.code < $1.code }
        let positions = refs.positionsByID.values.sorted { $0.code < $1.code }
        return """
            <datalist id="orgs">\(orgs.map { HTML("<option value=\"\($0.code)\">\($0.name)</option>") })</datalist>
            <datalist id="positions">\(positions.map { HTML("<option value=\"\($0.code)\">\($0.name)</option>") })</datalist>
            """
    }
}
