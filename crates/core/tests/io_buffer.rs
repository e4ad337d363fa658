//! A dropped `IoBuffer` leaves no resident memory behind, even once glibc has raised its
//! mmap threshold and would keep a `Vec` of the same size in the thread's arena (issue
//! #18). Its own test binary: RSS is per process, and other tests allocating at the same
//! time would blur it.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn a_dropped_large_buffer_is_returned_to_the_os_on_a_worker_thread() {
    use shutterproof_core::io_buffer::IoBuffer;

    const MIB: usize = 1 << 20;
    let anon_kib = || -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("RssAnon:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let touch = |b: &mut [u8]| b.iter_mut().step_by(4096).for_each(|x| *x = 1);
    // As on a libuv worker: the first freed 8 MiB block raises the mmap threshold.
    let (vec_kept, buffer_kept) = std::thread::spawn(move || {
        drop(std::hint::black_box(vec![1u8; 8 * MIB]));
        let before = anon_kib();
        let mut v = vec![0u8; 6 * MIB];
        touch(&mut v);
        drop(std::hint::black_box(v));
        let vec_kept = anon_kib().saturating_sub(before);
        let before = anon_kib();
        for _ in 0..4 {
            let mut b = IoBuffer::zeroed(6 * MIB);
            touch(&mut b);
        }
        (vec_kept, anon_kib().saturating_sub(before))
    })
    .join()
    .unwrap();
    // What a Vec would have kept here (not asserted: it is glibc's behaviour, not ours).
    eprintln!("a freed 6 MiB Vec kept {vec_kept} KiB resident; four IoBuffers kept {buffer_kept} KiB");
    assert!(
        buffer_kept < 1024,
        "four dropped 6 MiB buffers kept {buffer_kept} KiB resident"
    );
}
