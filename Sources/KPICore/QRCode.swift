/// Mã QR (ISO/IEC 18004) for the public rating links: byte mode, error correction level M,
/// versions 1–10 (up to 213 bytes), drawn as SVG. Written here because no package of the mirror
/// makes QR codes and the pages must not call an outside service.
public struct QRCode: Sendable, Equatable {
    public let version: Int
    public let mask: Int
    /// modules[y][x], true = dark.
    public let modules: [[Bool]]
    public var size: Int { modules.count }

    /// Level M: error-correction codewords per block and number of blocks, by version (index 0 unused).
    static let eccPerBlock = [0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26]
    static let blocks = [0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5]
    public static let maxVersion = 10

    static func rawDataModules(_ ver: Int) -> Int {
        var result = (16 * ver + 128) * ver + 64
        if ver >= 2 {
            let align = ver / 7 + 2
            result -= (25 * align - 10) * align - 55
            if ver >= 7 { result -= 36 }
        }
        return result
    }

    static func dataCodewords(_ ver: Int) -> Int { rawDataModules(ver) / 8 - eccPerBlock[ver] * blocks[ver] }

    /// The smallest symbol for `text`; nil when it is longer than version 10 holds. `mask` forces a
    /// mask pattern (0–7); by default the one with the lowest penalty is chosen.
    public init?(_ text: String, mask forced: Int? = nil) {
        let bytes = Array(text.utf8)
        guard let ver = (1...Self.maxVersion)
            .first(where: { v in 4 + (v < 10 ? 8 : 16) + bytes.count * 8 <= Self.dataCodewords(v) * 8 }) else { return nil }
        // Bit stream: mode, count, data, terminator, padding.
        var bits: [Bool] = []
        func append(_ value: Int, _ n: Int) { for i in stride(from: n - 1, through: 0, by: -1) { bits.append((value >> i) & 1 == 1) } }
        append(0b0100, 4)
        append(bytes.count, ver < 10 ? 8 : 16)
        for b in bytes { append(Int(b), 8) }
        let capacity = Self.dataCodewords(ver) * 8
        append(0, min(4, capacity - bits.count))
        append(0, (8 - bits.count % 8) % 8)
        var pad = 0xEC
        while bits.count < capacity { append(pad, 8); pad ^= 0xEC ^ 0x11 }
        var data: [UInt8] = []
        for i in stride(from: 0, to: bits.count, by: 8) {
            data.append(UInt8((0..<8).reduce(0) { $0 << 1 | (bits[i + $1] ? 1 : 0) }))
        }
        let codewords = Self.withErrorCorrection(data, version: ver)
        var grid = Grid(version: ver)
        grid.drawFunctionPatterns()
        grid.drawCodewords(codewords)
        var chosen = forced ?? 0
        if forced == nil {
            var best = Int.max
            for m in 0..<8 {
                var trial = grid
                trial.apply(mask: m)
                trial.drawFormat(mask: m)
                let p = trial.penalty()
                if p < best { best = p; chosen = m }
            }
        }
        grid.apply(mask: chosen)
        grid.drawFormat(mask: chosen)
        version = ver
        mask = chosen
        modules = grid.modules
    }

    // MARK: Reed–Solomon over GF(2⁸), polynomial 0x11D

    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var z = 0
        for i in stride(from: 7, through: 0, by: -1) {
            z = (z << 1) ^ ((z >> 7) * 0x11D)
            z ^= ((Int(y) >> i) & 1) * Int(x)
        }
        return UInt8(z)
    }

    static func divisor(_ degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for j in 0..<degree {
                result[j] = multiply(result[j], root)
                if j + 1 < degree { result[j] ^= result[j + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    static func remainder(_ data: [UInt8], _ divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for b in data {
            let factor = b ^ result.removeFirst()
            result.append(0)
            for i in 0..<result.count { result[i] ^= multiply(divisor[i], factor) }
        }
        return result
    }

    /// Splits into blocks, adds each block's error correction, interleaves.
    static func withErrorCorrection(_ data: [UInt8], version ver: Int) -> [UInt8] {
        let numBlocks = blocks[ver], eccLen = eccPerBlock[ver]
        let raw = rawDataModules(ver) / 8
        let short = numBlocks - raw % numBlocks
        let shortLen = raw / numBlocks
        let div = divisor(eccLen)
        var out: [[UInt8]] = []
        var k = 0
        for i in 0..<numBlocks {
            let len = shortLen - eccLen + (i < short ? 0 : 1)
            var block = Array(data[k..<k + len])
            k += len
            let ecc = remainder(block, div)
            if i < short { block.append(0) }
            out.append(block + ecc)
        }
        var result: [UInt8] = []
        for i in 0..<out[0].count {
            for j in 0..<numBlocks where i != shortLen - eccLen || j >= short { result.append(out[j][i]) }
        }
        return result
    }

    /// An SVG drawing with a quiet zone of 4 modules; `data-version` and `data-mask` name the symbol.
    public func svg(pixelsPerModule: Int = 6) -> String {
        let full = size + 8
        var path = ""
        for (y, row) in modules.enumerated() {
            for (x, dark) in row.enumerated() where dark { path += "M\(x + 4),\(y + 4)h1v1h-1z" }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(full) \(full)" width="\(full * pixelsPerModule)" \
            height="\(full * pixelsPerModule)" \
            shape-rendering="crispEdges" data-version="\(version)" data-mask="\(mask)" role="img" aria-label="Mã QR"><rect \
            width="\(full)" \
            height="\(full)" fill="#fff"/>\
            <path fill="#000" d="\(path)"/></svg>
            """
    }
}

/// The symbol under construction: modules and which of them are function patterns.
struct Grid {
    let version: Int
    let size: Int
    var modules: [[Bool]]
    var isFunction: [[Bool]]

    init(version: Int) {
        self.version = version
        size = version * 4 + 17
        modules = Array(repeating: Array(repeating: false, count: size), count: size)
        isFunction = modules
    }

    mutating func set(_ x: Int, _ y: Int, _ dark: Bool) {
        modules[y][x] = dark
        isFunction[y][x] = true
    }

    mutating func drawFunctionPatterns() {
        for i in 0..<size {
            set(6, i, i % 2 == 0)
            set(i, 6, i % 2 == 0)
        }
        for (cx, cy) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for dy in -4...4 {
                for dx in -4...4 {
                    let x = cx + dx, y = cy + dy
                    guard (0..<size).contains(x), (0..<size).contains(y) else { continue }
                    let d = max(abs(dx), abs(dy))
                    set(x, y, d != 2 && d != 4)
                }
            }
        }
        let positions = alignmentPositions()
        for (i, ax) in positions.enumerated() {
            for (j, ay) in positions.enumerated() {
                if (i == 0 && j == 0) || (i == 0 && j == positions.count - 1) || (i == positions.count - 1 && j == 0) { continue }
                for dy in -2...2 { for dx in -2...2 { set(ax + dx, ay + dy, max(abs(dx), abs(dy)) != 1) } }
            }
        }
        drawFormat(mask: 0)
        if version >= 7 {
            var rem = version
            for _ in 0..<12 { rem = (rem << 1) ^ ((rem >> 11) * 0x1F25) }
            let bits = version << 12 | rem
            for i in 0..<18 {
                let bit = (bits >> i) & 1 == 1
                let a = size - 11 + i % 3, b = i / 3
                set(a, b, bit)
                set(b, a, bit)
            }
        }
    }

    func alignmentPositions() -> [Int] {
        guard version > 1 else { return [] }
        let count = version / 7 + 2
        let step = (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
        var result = [Int](repeating: 6, count: count)
        var pos = size - 7
        for i in stride(from: count - 1, through: 1, by: -1) {
            result[i] = pos
            pos -= step
        }
        return result
    }

    /// Format information: level M (bits 00) and the mask, BCH-protected, in both copies.
    mutating func drawFormat(mask: Int) {
        let data = 0b00 << 3 | mask
        var rem = data
        for _ in 0..<10 { rem = (rem << 1) ^ ((rem >> 9) * 0x537) }
        let bits = (data << 10 | rem) ^ 0x5412
        func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
        for i in 0...5 { set(8, i, bit(i)) }
        set(8, 7, bit(6))
        set(8, 8, bit(7))
        set(7, 8, bit(8))
        for i in 9..<15 { set(14 - i, 8, bit(i)) }
        for i in 0..<8 { set(size - 1 - i, 8, bit(i)) }
        for i in 8..<15 { set(8, size - 15 + i, bit(i)) }
        set(8, size - 8, true)
    }

    mutating func drawCodewords(_ data: [UInt8]) {
        var i = 0
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            for vert in 0..<size {
                for j in 0..<2 {
                    let x = right - j
                    let upward = (right + 1) & 2 == 0
                    let y = upward ? size - 1 - vert : vert
                    if !isFunction[y][x] && i < data.count * 8 {
                        modules[y][x] = (data[i >> 3] >> (7 - (i & 7))) & 1 == 1
                        i += 1
                    }
                }
            }
            right -= 2
        }
    }

    mutating func apply(mask: Int) {
        for y in 0..<size {
            for x in 0..<size where !isFunction[y][x] {
                let invert: Bool = switch mask {
                case 0: (x + y) % 2 == 0
                case 1: y % 2 == 0
                case 2: x % 3 == 0
                case 3: (x + y) % 3 == 0
                case 4: (x / 3 + y / 2) % 2 == 0
                case 5: x * y % 2 + x * y % 3 == 0
                case 6: (x * y % 2 + x * y % 3) % 2 == 0
                default: ((x + y) % 2 + x * y % 3) % 2 == 0
                }
                if invert { modules[y][x].toggle() }
            }
        }
    }

    /// Runs of five or more, 2×2 blocks and dark/light balance (the finder-like rule is left out:
    /// every mask gives a valid symbol, the penalty only prefers an easier one to scan).
    func penalty() -> Int {
        var result = 0
        for line in 0..<size {
            var runRow = 1, runCol = 1
            for i in 1..<size {
                if modules[line][i] == modules[line][i - 1] { runRow += 1 } else { runRow = 1 }
                if runRow == 5 { result += 3 } else if runRow > 5 { result += 1 }
                if modules[i][line] == modules[i - 1][line] { runCol += 1 } else { runCol = 1 }
                if runCol == 5 { result += 3 } else if runCol > 5 { result += 1 }
            }
        }
        for y in 0..<size - 1 {
            for x in 0..<size - 1 {
                let c = modules[y][x]
                if c == modules[y][x + 1] && c == modules[y + 1][x] && c == modules[y + 1][x + 1] { result += 3 }
            }
        }
        let dark = modules.reduce(0) { $0 + $1.filter { $0 }.count }
        let total = size * size
        result += (abs(dark * 20 - total * 10) + total - 1) / total * 10 - 10
        return result
    }
}
