/// A binary min-heap of merge entries: segments not opened yet (keyed by their first packet time,
/// a lower bound of anything they hold) and open cursors (keyed by their current record's time).
/// Only segments whose time range has been reached are open, so a query over thousands of
/// sequential segments holds one or two file descriptors at a time.
struct MergeQueue {
    struct Entry {
        var time: Int64
        /// Pending segments sort before open cursors of the same time, so that they are opened
        /// before a record of that time is emitted.
        var isOpen: Bool
        var order: Int
        var slot: Int

        static func < (a: Entry, b: Entry) -> Bool {
            if a.time != b.time { return a.time < b.time }
            if a.isOpen != b.isOpen { return !a.isOpen }
            return a.order < b.order
        }
    }

    private var heap: [Entry] = []

    var isEmpty: Bool { heap.isEmpty }

    mutating func push(_ e: Entry) {
        heap.append(e)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i] < heap[parent] else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Entry? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < heap.count && heap[l] < heap[smallest] { smallest = l }
                if r < heap.count && heap[r] < heap[smallest] { smallest = r }
                if smallest == i { break }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
        return top
    }
}
