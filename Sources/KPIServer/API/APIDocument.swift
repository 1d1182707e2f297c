import Foundation
import Vapor

/// The API's contract as served: the YAML as committed, and a reference page drawn from the same
/// document (tags, operations, parameters, responses, schemas), so the page cannot say other than
/// the contract.
enum APIDocument {
    static func text(_ app: Application) throws -> String { APIContract.yaml + "\n" }

    /// The document as JSON objects.
    static var document: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(APIContract.json.utf8))) as? [String: Any] ?? [:]
    }

    static func reference(_ app: Application) throws -> Page {
        let doc = document
        let info = doc["info"] as? [String: Any] ?? [:]
        let paths = doc["paths"] as? [String: Any] ?? [:]
        let components = doc["components"] as? [String: Any] ?? [:]
        var operations: [HTML] = []
        for path in paths.keys.sorted() {
            guard let item = paths[path] as? [String: Any] else { continue }
            for method in ["get", "post", "put", "patch", "delete"] {
                guard let op = item[method] as? [String: Any] else { continue }
                operations.append(operation(method: method, path: path, op, components: components))
            }
        }
        let schemas = (components["schemas"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { name, value in
            schema(name, value as? [String: Any] ?? [:])
        }
        let body: HTML = """
            <p>\(inline(info["description"]))</p>
            <p>Địa chỉ gốc: <code>/api/v1</code>. Bản hợp đồng đầy đủ (OpenAPI \(doc["openapi"] as? String ?? "")):
            <a href="/api/v1/openapi.yaml">openapi.yaml</a>. Hướng dẫn kết nối có ví dụ curl và Python: docs/api.md.</p>
            <h2>Các thao tác</h2>
            \(operations)
            <h2>Các kiểu dữ liệu</h2>
            \(schemas)
            """
        return Page(title: "\(info["title"] as? String ?? "API") — phiên bản \(info["version"] as? String ?? "")", body: body)
    }

    /// Text of the document: escaped, with `code` spans as code.
    static func inline(_ text: Any?) -> HTML {
        let parts = HTML.escape(text as? String ?? "").split(separator: "`", omittingEmptySubsequences: false)
        return HTML(projectMarkup: parts.enumerated().map { i, p in i % 2 == 1 && i < parts.count - 1 ? "<code>\(p)</code>" : String(p) }
            .joined())
    }

    static func resolve(_ value: Any?, components: [String: Any]) -> [String: Any] {
        guard let dict = value as? [String: Any] else { return [:] }
        guard let ref = dict["$ref"] as? String else { return dict }
        let parts = ref.split(separator: "/").dropFirst(2).map(String.init)
        guard parts.count == 2, let group = components[parts[0]] as? [String: Any] else { return [:] }
        return group[parts[1]] as? [String: Any] ?? [:]
    }

    static func typeName(_ schema: Any?) -> String {
        guard let s = schema as? [String: Any] else { return "" }
        if let ref = s["$ref"] as? String { return String(ref.split(separator: "/").last ?? "") }
        if let e = s["enum"] as? [Any] { return e.map { "\($0)" }.joined(separator: " | ") }
        if (s["type"] as? String) == "array" { return "[" + typeName(s["items"]) + "]" }
        var t = s["type"] as? String ?? "object"
        if let f = s["format"] as? String { t += " (\(f))" }
        if let lo = s["minimum"], let hi = s["maximum"] { t += " \(lo)–\(hi)" }
        if let m = s["maxLength"] { t += ", tối đa \(m) ký tự" }
        return t
    }

    static func operation(method: String, path: String, _ op: [String: Any], components: [String: Any]) -> HTML {
        let params = (op["parameters"] as? [Any] ?? []).map { resolve($0, components: components) }
        let paramRows: [HTML] = params.map { p in
            let required = (p["required"] as? Bool) == true ? "có" : "không"
            return """
                <tr><td><code>\(p["name"] as? String ?? "")</code></td><td>\(p["in"] as? String ?? "")</td>\
                <td>\(typeName(p["schema"]))</td><td>\(required)</td><td>\(inline(p["description"]))</td></tr>
                """
        }
        let responses = (op["responses"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { code, value -> HTML in
            let r = resolve(value, components: components)
            let content = r["content"] as? [String: Any] ?? [:]
            let kinds = content.keys.sorted().map { kind in "\(kind): \(typeName((content[kind] as? [String: Any])?["schema"]))" }
            return "<tr><td>\(code)</td><td>\(r["description"] as? String ?? "")</td><td>\(kinds.joined(separator: "; "))</td></tr>"
        }
        let id = op["operationId"] as? String ?? ""
        let paramTable: HTML = params.isEmpty ? .empty : """
            <table class="list"><caption>Tham số</caption><thead><tr><th scope="col">Tên</th><th scope="col">Ở</th>\
            <th scope="col">Kiểu</th><th scope="col">Bắt buộc</th><th scope="col">Ý nghĩa</th></tr></thead>\
            <tbody>\(paramRows)</tbody></table>
            """
        return """
            <section class="panel" id="\(id)"><h3><code>\(method.uppercased()) /api/v1\(path)</code> — \
            \(op["summary"] as? String ?? "")</h3>
            <p>\(inline(op["description"]))</p>\(paramTable)
            <table class="list"><caption>Trả lời</caption><thead><tr><th scope="col">Mã</th><th scope="col">Khi nào</th>\
            <th scope="col">Nội dung</th></tr></thead><tbody>\(responses)</tbody></table></section>
            """
    }

    static func schema(_ name: String, _ s: [String: Any]) -> HTML {
        let required = Set(s["required"] as? [String] ?? [])
        let props = (s["properties"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { key, value -> HTML in
            let p = value as? [String: Any] ?? [:]
            return """
                <tr><td><code>\(key)</code></td><td>\(typeName(p))</td><td>\(required.contains(key) ? "có" : "không")</td>\
                <td>\(inline(p["description"]))</td></tr>
                """
        }
        if props.isEmpty {
            let pattern = (s["pattern"] as? String).map { ", mẫu <code>\(HTML.escape($0))</code>" } ?? ""
            return """
                <section class="panel" id="kieu-\(name)"><h3><code>\(name)</code></h3>\
                <p>\(typeName(s))\(HTML(projectMarkup: pattern)). \(inline(s["description"]))</p></section>
                """
        }
        return """
            <section class="panel" id="kieu-\(name)"><h3><code>\(name)</code></h3><p>\(inline(s["description"]))</p>
            <table class="list"><thead><tr><th scope="col">Trường</th><th scope="col">Kiểu</th><th scope="col">Bắt buộc</th>\
            <th scope="col">Ý nghĩa</th></tr></thead><tbody>\(props)</tbody></table></section>
            """
    }
}
