import HangarCore
import Testing

@Suite struct JSONValueTests {
    @Test("setting a member changes this value only, at any depth, and keeps every member's place")
    func memberUpdates() {
        var v: JSONValue = ["a": 1, "m": ["x": 1, "y": 2], "z": 3]
        let before = v
        v["m"]?["x"] = 10
        v["m"]?["new"] = true
        v["a"] = nil
        v["n"] = "added"
        #expect(v == ["m": ["x": 10, "y": 2, "new": true], "z": 3, "n": "added"])
        #expect(v.objectValue?.keys.elements == ["m", "z", "n"])
        #expect(v["m"]?.objectValue?.keys.elements == ["x", "y", "new"])
        #expect(before == ["a": 1, "m": ["x": 1, "y": 2], "z": 3], "a copy taken before is untouched")

        v["missing"]?["x"] = 1
        #expect(v["missing"] == nil, "optional chaining into a missing member sets nothing")
    }

    @Test("modifyObject changes a nested object where it stands, starting one where there is none")
    func modifyObject() {
        var o: JSONObject = ["a": 1, "m": ["x": 1], "z": "not an object"]
        let before = o
        o.modifyObject("m") { m in
            m["x"] = 2
            m["y"] = 3
        }
        o.modifyObject("z") { $0["k"] = true }
        let count = o.modifyObject("new") { n -> Int in
            n["k"] = 1
            return n.count
        }
        #expect(count == 1)
        #expect(o.keys.elements == ["a", "m", "z", "new"])
        #expect(o == ["a": 1, "m": ["x": 2, "y": 3], "z": ["k": true], "new": ["k": 1]])
        #expect(before == ["a": 1, "m": ["x": 1], "z": "not an object"], "a copy taken before is untouched")
    }

    @Test("members of anything but an object cannot be set or read", arguments: [
        JSONValue.string("text"), [1, 2], .null, 7, true,
    ])
    func nonObjects(_ value: JSONValue) {
        var v = value
        v["k"] = 1
        #expect(v == value)
        #expect(v["k"] == nil)
    }
}
