import Testing

@testable import Transport

/// The age of a sink's backlog: from the marks of when records became durable.
@Suite("Spool backlog age")
struct DurableMarksTests {
    static let second: Int64 = 1_000_000_000

    @Test("the oldest pending record's age comes from the first mark past the cursor, within a second")
    func ages() {
        var marks = DurableMarks()
        marks.note(seq: 0, at: 0, force: true)
        // Records 0..<10 durable at 1 s, 10..<20 at 2 s (a second mark within the same second is skipped).
        marks.note(seq: 10, at: 1 * Self.second)
        marks.note(seq: 15, at: 1 * Self.second + 500_000_000)
        marks.note(seq: 20, at: 2 * Self.second)
        #expect(marks.age(of: 0, now: 10 * Self.second) == 9)
        #expect(marks.age(of: 12, now: 10 * Self.second) == 8)
        #expect(marks.age(of: 19, now: 10 * Self.second) == 8)
        // Nothing past the last mark: no backlog to age.
        #expect(marks.age(of: 20, now: 10 * Self.second) == 0)
        // Every sink delivered up to 12: the marks before go, ages of later records stay.
        marks.drop(before: 12)
        #expect(marks.age(of: 12, now: 10 * Self.second) == 8)
    }

    @Test("marks stay bounded: one a second, a day at most")
    func bounded() {
        var marks = DurableMarks()
        for s in 0 ..< Int64(DurableMarks.limit + 5_000) { marks.note(seq: UInt64(s + 1), at: s * Self.second) }
        // The oldest marks went: the first record's age is now a lower bound.
        let now = Int64(DurableMarks.limit + 5_000) * Self.second
        #expect(marks.age(of: 0, now: now) <= Double(DurableMarks.limit) + 1)
        #expect(marks.age(of: UInt64(DurableMarks.limit + 4_000), now: now) == 1_000)
    }
}
