# libguestfs's Ruby bindtests, ported to minnow by renaming the module:
# the same calls in the same order, each with its Hash of optional
# arguments (empty when there are none).  The output must equal
# tests/bindings/bindtests.golden (ruby/t/compare-lgbindtests.sh).
require 'minnow'

g = Minnow::Minnow.new()
g.internal_test("abc", "def", [], false, 0, 0, "123", "456", "abc\000abc",
                {obool: true, oint: 1, oint64: 9223372036854775807})
g.internal_test("abc", nil, [], false, 0, 0, "123", "456", "abc\000abc",
                {oint64: 1, ostring: "string"})
g.internal_test("", "def", [], false, 0, 0, "123", "456", "abc\000abc",
                {obool: false, oint64: -9223372036854775808})
g.internal_test("", "", [], false, 0, 0, "123", "456", "abc\000abc", {})
g.internal_test("abc", "def", ["1"], false, 0, 0, "123", "456", "abc\000abc",
                {})
g.internal_test("abc", "def", ["1", "2"], false, 0, 0, "123", "456",
                "abc\000abc", {})
g.internal_test("abc", "def", ["1"], true, 0, 0, "123", "456", "abc\000abc",
                {})
g.internal_test("abc", "def", ["1"], false, -1, -1, "123", "456", "abc\000abc",
                {})
g.internal_test("abc", "def", ["1"], false, -2, -2, "123", "456", "abc\000abc",
                {})
g.internal_test("abc", "def", ["1"], false, 1, 1, "123", "456", "abc\000abc",
                {})
g.internal_test("abc", "def", ["1"], false, 2, 2, "123", "456", "abc\000abc",
                {})
g.internal_test("abc", "def", ["1"], false, 4095, 9223372036854775807, "123",
                "456", "abc\000abc", {})
g.internal_test("abc", "def", ["1"], false, 0, -9223372036854775808, "", "",
                "abc\000abc", {})
g.internal_test("abc", "def", [], false, 0, 0, "123", "456", "abc\000abc",
                {ostringlist: []})
g.internal_test("abc", "def", [], false, 0, 0, "123", "456", "abc\000abc",
                {ostringlist: ["optelem1"]})
g.internal_test("abc", "def", [], false, 0, 0, "123", "456", "abc\000abc",
                {ostringlist: ["optelem1", "optelem2"]})
g.internal_test("abc", "def", [], false, 0, 0, "123", "456", "abc\000abc",
                {ostringlist: ["optelem1", "optelem2", "optelem3"]})
print "EOF\n"
