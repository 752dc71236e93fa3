// ThreadSanitizer's check of itself, run by `make test-sanitize-thread` before the suites: two threads
// that increment one variable without a lock must give a data-race report (exit status 66), built by the
// same swiftc with the same -sanitize=thread, or a quiet run of the suites would mean nothing.
#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) var counter = 0

@main
struct RaceCanary {
    static func main() {
        var threads: [pthread_t] = []
        for _ in 0..<2 {
            var thread = pthread_t()
            let started = pthread_create(&thread, nil, { _ in
                for _ in 0..<10_000 { counter += 1 }
                return nil
            }, nil)
            if started == 0 { threads.append(thread) }
        }
        for thread in threads { pthread_join(thread, nil) }
        print("counter: \(counter)")
    }
}
