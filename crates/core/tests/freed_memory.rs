//! `return_freed_memory` gives a thread's freed heap back to the OS (issue #18). Its own
//! test binary: RSS is per process, and other tests allocating at the same time would blur it.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn memory_a_thread_freed_leaves_the_process() {
    use shutterproof_core::freed_memory::return_freed_memory;

    const BLOCKS: usize = 64 * 1024;
    const BLOCK: usize = 1024; // far below glibc's mmap threshold: served from the arena
    let anon_kib = || -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("RssAnon:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    // Like the copy engine's per-file state: many small blocks made and freed on a worker
    // thread, one kept so that the arena's top cannot shrink on its own.
    let kept = std::thread::spawn(|| {
        let mut blocks: Vec<Vec<u8>> = (0..BLOCKS).map(|i| vec![i as u8; BLOCK]).collect();
        let kept = blocks.pop().unwrap();
        drop(blocks);
        kept
    })
    .join()
    .unwrap();
    let before = anon_kib();
    return_freed_memory();
    let after = anon_kib();
    let freed_mib = before.saturating_sub(after) / 1024;
    assert!(
        freed_mib >= 32,
        "64 MiB freed by a thread: RssAnon {before} KiB before, {after} KiB after"
    );
    assert_eq!(kept.len(), BLOCK);
}
