/// Binary min-heap of (time, session slot): which session emits the next packet.
struct EventQueue {
    struct Entry {
        var time: UInt64
        var slot: Int32
    }

    private var heap: [Entry] = []

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }

    /// The earliest entry (the queue must not be empty).
    @inline(__always)
    var top: Entry { heap[0] }

    mutating func reserve(_ n: Int) { heap.reserveCapacity(n) }

    mutating func push(time: UInt64, slot: Int) {
        heap.append(Entry(time: time, slot: Int32(slot)))
        var i = heap.count - 1
        let e = heap[i]
        while i > 0 {
            let parent = (i - 1) / 2
            if heap[parent].time <= e.time { break }
            heap[i] = heap[parent]
            i = parent
        }
        heap[i] = e
    }

    /// Gives the top entry a new time and restores heap order.
    @inline(__always)
    mutating func updateTop(time: UInt64) {
        heap[0].time = time
        siftDown(0)
    }

    mutating func popTop() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    @inline(__always)
    private mutating func siftDown(_ start: Int) {
        let n = heap.count
        var i = start
        let e = heap[i]
        while true {
            var child = 2 * i + 1
            if child >= n { break }
            if child + 1 < n && heap[child + 1].time < heap[child].time { child += 1 }
            if heap[child].time >= e.time { break }
            heap[i] = heap[child]
            i = child
        }
        heap[i] = e
    }
}
