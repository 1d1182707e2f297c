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

    /// A record's field in the form kit, its control chosen by the field's kind.
    static func field(_ f: FieldSpec, value: String, problem: String?, refs: RefIndex) -> HTML {
        var field = FormField(f.key, f.label, value: value, id: "f_" + f.key, required: f.required, hint: f.help ?? "",
                              error: problem ?? "")
        switch f.kind {
        case .choice(let choices):
            field.control = .select(choices.map { .init($0.code, $0.label) }, blank: f.required ? nil : "")
        case .flag:
            field.control = .select(FormField.options([("0", "Không"), ("1", "Có")]))
            field.required = false
        case .date:
            field.control = .date
        case .reference("co-quan"), .references("co-quan"):
            (field.list, field.autocomplete) = ("orgs", "off")
        case .reference("vi-tri-viec-lam"):
            (field.list, field.autocomplete) = ("positions", "off")
        case .reference("nhom-vi-tri"):
            field.control = .select(refs.groupsByID.values.sorted { $0.code < $1.code }.map { .init($0.code, "\($0.name) (\($0.code))") })
        case .text(let max) where max > 255:
            (field.control, field.maxLength, field.required) = (.textarea(rows: 3), max, false)
        case .text(let max):
            field.maxLength = max
        case .decimal:
            (field.inputMode, field.maxLength) = (.decimal, 20)
        case .integer:
            (field.inputMode, field.required) = (.numeric, false)
        case .email:
            (field.control, field.required) = (.text(.email), false)
        case .agencyIdentifier:
            field.maxLength = AgencyIdentifier.maxLength
        default:
            field.maxLength = 50
        }
        return field.html
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
