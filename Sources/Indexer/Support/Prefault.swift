#if canImport(Glibc)
import Glibc
#endif

/// A range of a builder's memory that appends will write soon, as plain numbers so it can be handed
/// to another thread (which only asks the kernel to map it; it never reads or writes it).
public struct MemoryRegion: Sendable {
    let address: UInt
    let length: Int

    init<Element>(_ base: UnsafeMutablePointer<Element>, count: Int) {
        address = UInt(bitPattern: base)
        length = count * MemoryLayout<Element>.stride
    }

    /// Maps the region's pages now (`madvise(MADV_POPULATE_WRITE)`, Linux 5.14+), so the thread that
    /// appends to it later takes no page fault. Contents are left alone, so this may run while that
    /// thread writes. Does nothing where the call is not supported.
    ///
    /// Why: a page fault costs 2-12 µs on this project's virtual machines (the host maps memory it
    /// reclaimed), and the first segments' index buffers are ~4,000 pages per 256 MB segment. Mapped
    /// here, they are no longer faulted in by the capture thread (measured: `add`'s share of the
    /// ingest's page faults fell from 31 % to 5 %); the effect on wall time was within this VM's
    /// run-to-run noise (Benchmarks/RESULTS.md).
    public func populate() {
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let start = (address + page - 1) & ~(page - 1)
        let end = (address + UInt(length)) & ~(page - 1)
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(p, Int(end - start), 23 /* MADV_POPULATE_WRITE */)
    }
}
