import KPICore

/// One field of a form (ô nhập): its label, control, hint and error as one typed value, drawn the
/// same way on every page — the form kit of tasks, records, catalogs, frameworks and filters. Every
/// text in it is escaped and every attribute is typed: no page passes raw attribute strings.
///
/// The error line is always there (empty and hidden when there is nothing to say), so forms that
/// check as the user types (`data-check`, app.js) fill it in place; `aria-invalid` and
/// `aria-describedby` tie the control to its hint and error for screen readers.
struct FormField: Sendable {
    enum Control: Sendable {
        /// A one-line box: text, or a typed one (e-mail, password, number, search).
        case text(InputType = .text)
        /// A date typed as dd/mm/yyyy whatever the browser's language (a date picker would follow
        /// the operating system's and show mm/dd/yyyy on many office PCs); the value is shown so.
        case date
        case textarea(rows: Int)
        /// A choice; `blank` adds a first, empty option with that label ("" for none shown).
        case select([Option], blank: String? = nil)
        /// A choice among options in labelled groups (`<optgroup>`).
        case groupedSelect([(label: String, options: [Option])], blank: String? = nil)
        case file(accept: String)
    }

    enum InputType: String, Sendable { case text, email, password, number, search }
    enum InputMode: String, Sendable { case numeric, decimal }
    enum Width: String, Sendable { case normal = "", wide = " wide", grow = " grow" }

    struct Option: Sendable {
        var value: String
        var label: String
        init(_ value: String, _ label: String) {
            self.value = value
            self.label = label
        }
    }

    var name: String
    var label: String
    var value: String
    var control: Control
    var id: String
    var required: Bool
    var hint: String
    var error: String
    var maxLength: Int?
    var min: Int?
    var max: Int?
    var step: Int?
    var inputMode: InputMode?
    var placeholder: String
    /// The id of a `<datalist>` of suggestions.
    var list: String
    var autocomplete: String
    var width: Width
    /// The control's name for screen readers when it stands without its label (a table cell).
    var ariaLabel = ""
    /// The control the cursor starts in (one per page: the sign-in form's).
    var autofocus = false

    init(_ name: String, _ label: String, value: String? = nil, _ control: Control = .text(), id: String? = nil,
         required: Bool = false, hint: String = "", error: String = "", maxLength: Int? = nil, min: Int? = nil, max: Int? = nil,
         step: Int? = nil, inputMode: InputMode? = nil, placeholder: String = "", list: String = "", autocomplete: String = "",
         width: Width = .normal) {
        self.name = name
        self.label = label
        self.value = value ?? ""
        self.control = control
        self.id = id ?? name
        self.required = required
        self.hint = hint
        self.error = error
        self.maxLength = maxLength
        self.min = min
        self.max = max
        self.step = step
        self.inputMode = inputMode
        self.placeholder = placeholder
        self.list = list
        self.autocomplete = autocomplete
        self.width = width
    }

    /// The field with the cursor in it when the page opens.
    var focused: FormField {
        var f = self
        f.autofocus = true
        return f
    }

    /// Options from (value, label) pairs.
    static func options(_ pairs: [(String, String)]) -> [Option] { pairs.map { Option($0.0, $0.1) } }

    /// The control alone, named for screen readers by `label` (a table cell, a line of its own).
    func bare() -> HTML {
        var f = self
        f.ariaLabel = label
        return f.controlHTML
    }

    /// The field with the messages about it from a list of problems (joined into one line).
    func problems(_ messages: [String]) -> FormField {
        var f = self
        f.error = messages.joined(separator: " ")
        return f
    }

    var html: HTML {
        let star: HTML = required ? " <span class=\"req\" title=\"bắt buộc\">*</span>" : .empty
        let hintLine: HTML = hint.isEmpty ? .empty : "<small class=\"hint\" id=\"\(id)_hint\">\(hint)</small>"
        return """
            <div class="field\(width.rawValue)" data-field="\(name)"><label for="\(id)">\(label)\(star)</label>\
            \(control(describedBy: true))\
            \(hintLine)<small class="field-error" id="\(id)_err" role="alert">\(error)</small></div>
            """
    }

    /// The control alone (for a table cell), with the same attributes.
    var controlHTML: HTML { control(describedBy: false) }

    private func control(describedBy: Bool) -> HTML {
        let attributes = attributes(describedBy: describedBy)
        switch control {
        case .text(let type):
            return "<input type=\"\(type.rawValue)\" id=\"\(id)\" name=\"\(name)\" value=\"\(value)\"\(attributes)>"
        case .date:
            let shown = DateOnly(parsing: value)?.display ?? value
            return """
                <input type="text" id="\(id)" name="\(name)" value="\(shown)" class="date" inputmode="numeric" \
                placeholder="dd/mm/yyyy" maxlength="10" autocomplete="off"\(attributes)>
                """
        case .textarea(let rows):
            return "<textarea id=\"\(id)\" name=\"\(name)\" rows=\"\(rows)\"\(attributes)>\(value)</textarea>"
        case .select(let options, let blank):
            let first: HTML = blank.map { "<option value=\"\">\($0)</option>" } ?? .empty
            return """
                <select id="\(id)" name="\(name)"\(attributes)>\(first)\(options.map { option($0) })</select>
                """
        case .groupedSelect(let groups, let blank):
            let first: HTML = blank.map { "<option value=\"\">\($0)</option>" } ?? .empty
            return """
                <select id="\(id)" name="\(name)"\(attributes)>\(first)\(groups.map { g in
                    HTML("<optgroup label=\"\(g.label)\">\(g.options.map { option($0) })</optgroup>")
                })</select>
                """
        case .file(let accept):
            return "<input type=\"file\" id=\"\(id)\" name=\"\(name)\" accept=\"\(accept)\"\(attributes)>"
        }
    }

    private func option(_ o: Option) -> HTML {
        "<option value=\"\(o.value)\"\(HTML.when(o.value == value, " selected"))>\(o.label)</option>"
    }

    /// The typed attributes, in a fixed order.
    private func attributes(describedBy: Bool) -> HTML {
        var out: [HTML] = []
        if case .date = control {} else {
            if let maxLength { out.append(" maxlength=\"\(maxLength)\"") }
            if let inputMode { out.append(" inputmode=\"\(inputMode.rawValue)\"") }
            if !placeholder.isEmpty { out.append(" placeholder=\"\(placeholder)\"") }
            if !autocomplete.isEmpty { out.append(" autocomplete=\"\(autocomplete)\"") }
        }
        if let min { out.append(" min=\"\(min)\"") }
        if let max { out.append(" max=\"\(max)\"") }
        if let step { out.append(" step=\"\(step)\"") }
        if !list.isEmpty { out.append(" list=\"\(list)\"") }
        if required { out.append(" required") }
        if autofocus { out.append(" autofocus") }
        if !describedBy && !ariaLabel.isEmpty { out.append(" aria-label=\"\(ariaLabel)\"") }
        if !error.isEmpty { out.append(" aria-invalid=\"true\"") }
        if describedBy { out.append(" aria-describedby=\"\(hint.isEmpty ? "" : id + "_hint ")\(id)_err\"") }
        return out.joined()
    }
}

extension FormField {
    /// The field drawn with the messages about it among `problems`.
    func html(_ problems: [TaskProblem]) -> HTML { self.problems(problems.messages(name)).html }
}

extension Array where Element == TaskProblem {
    /// The messages about one field.
    func messages(_ field: String) -> [String] { filter { $0.field == field }.map(\.message) }
}
