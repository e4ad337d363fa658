//! Keeps more than one O_DIRECT write in flight per destination.
//!
//! A direct `pwrite` returns only once the device holds the data, so a writer thread on
//! its own keeps one request in flight: the device idles while the writer waits for the
//! next buffer and hands it over. `cp` writes into the page cache and the kernel writes
//! back with many requests in flight, which on a slow disk made the unverified copy to
//! one destination 1.4 × `cp` + sync (bench/RESULTS.md, "E at full size on a quiet
//! machine", run 1; issue #18). Lanes are threads that each run one positional direct
//! write at a time; the writer hands buffers round its lanes, so that many requests reach
//! the device together, and collects each lane's result in the order it handed them out.
//!
//! What counts is requests in flight per device: destinations on the same file system
//! already keep one each in flight, and doubling that made the unverified copy to three
//! folders of one disk 5–9 % slower, so such writers get one lane (`lanes_per_writer`).
//!
//! Writes only overlap if the file system lets them: ext4 takes the inode lock
//! exclusively for a direct write that extends the file, so the writer preallocates the
//! file first (`direct::preallocate`); writes below the file's size into allocated blocks
//! then share the lock.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use super::pool::Chunk;

/// Direct writes kept in flight on a device. Two keep it busy while one returns (the
/// unverified copy to one destination 10–14 % faster on this machine's virtio disk,
/// medians of 5 interleaved runs); each in flight holds a pool buffer.
pub(crate) const IN_FLIGHT_PER_DEVICE: usize = 2;

/// Lanes for each destination's writer: a device that only one destination writes to
/// gets `IN_FLIGHT_PER_DEVICE`; writers sharing a device get one each, since together
/// they already keep that many in flight.
pub(crate) fn lanes_per_writer(devices: &[Option<u64>]) -> Vec<usize> {
    devices
        .iter()
        .map(|dev| {
            let sharing = dev.map_or(1, |dev| devices.iter().filter(|d| **d == Some(dev)).count());
            IN_FLIGHT_PER_DEVICE.div_ceil(sharing)
        })
        .collect()
}

/// One direct write: `chunk.data()[..len]` at `offset` of `file`.
pub(crate) struct Job {
    pub(crate) file: Arc<File>,
    pub(crate) offset: u64,
    pub(crate) chunk: Arc<Chunk>,
    pub(crate) len: usize,
}

/// How a lane's write ended.
pub(crate) enum Done {
    Written,
    /// The file system refused O_DIRECT (EINVAL) or wrote short, after `written` bytes:
    /// the writer writes the rest of `job` buffered.
    Refused {
        job: Job,
        written: usize,
    },
    Failed(io::Error),
}

struct Lane {
    jobs: Sender<Job>,
    done: Receiver<Done>,
    thread: JoinHandle<()>,
}

/// The lanes of one destination's writer, started at its first direct write.
pub(crate) struct Lanes {
    width: usize,
    lanes: Vec<Lane>,
    /// The lane the next job goes to; jobs go round in order, so the oldest job in flight
    /// is always on this lane.
    next: usize,
    in_flight: usize,
}

impl Lanes {
    pub(crate) fn new(width: usize) -> Lanes {
        Lanes {
            width: width.max(1),
            lanes: Vec::new(),
            next: 0,
            in_flight: 0,
        }
    }

    /// Hands `job` to the next lane. When every lane is busy this first waits for the
    /// oldest write and returns how it ended; otherwise `None`.
    pub(crate) fn submit(&mut self, job: Job) -> Option<Done> {
        if self.lanes.is_empty() {
            self.lanes = (0..self.width).map(|_| Lane::spawn()).collect();
        }
        let oldest = (self.in_flight == self.width).then(|| self.wait_next());
        let lane = &self.lanes[self.next];
        // A lane only stops when its sender is dropped, so sending cannot fail.
        lane.jobs.send(job).expect("a copy lane stopped early");
        self.in_flight += 1;
        self.next = (self.next + 1) % self.width;
        oldest
    }

    /// Waits for every write in flight and returns how each ended, oldest first.
    pub(crate) fn drain(&mut self) -> Vec<Done> {
        let first = (self.next + self.width - self.in_flight) % self.width;
        let mut out = Vec::with_capacity(self.in_flight);
        for i in 0..self.in_flight {
            out.push(self.receive((first + i) % self.width));
        }
        self.in_flight = 0;
        out
    }

    /// The result of the oldest job in flight (on lane `next`).
    fn wait_next(&mut self) -> Done {
        let done = self.receive(self.next);
        self.in_flight -= 1;
        done
    }

    fn receive(&self, lane: usize) -> Done {
        self.lanes[lane].done.recv().expect("a copy lane stopped early")
    }
}

impl Drop for Lanes {
    /// Stops the lanes once their jobs are done: no lane writes after its writer ended.
    fn drop(&mut self) {
        for lane in self.lanes.drain(..) {
            drop(lane.jobs);
            let _ = lane.thread.join();
        }
    }
}

impl Lane {
    fn spawn() -> Lane {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (done_tx, done) = mpsc::channel();
        let thread = thread::spawn(move || {
            for job in job_rx {
                let _ = done_tx.send(write_direct(job));
            }
        });
        Lane { jobs, done, thread }
    }
}

/// Writes the job with the descriptor's O_DIRECT; the buffer goes back to the pool when
/// the job is dropped, unless the writer needs it to finish buffered.
fn write_direct(job: Job) -> Done {
    let data = &job.chunk.data()[..job.len];
    let mut written = 0;
    while written < data.len() {
        match job.file.write_at(&data[written..], job.offset + written as u64) {
            Ok(0) => return Done::Failed(io::ErrorKind::WriteZero.into()),
            // A short direct write leaves the rest unaligned: finish it buffered.
            Ok(n) if n < data.len() - written => {
                return Done::Refused {
                    written: written + n,
                    job,
                }
            }
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => return Done::Refused { job, written },
            Err(e) => return Done::Failed(e),
        }
    }
    Done::Written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_gets_two_writes_in_flight_however_many_destinations_share_it() {
        assert_eq!(lanes_per_writer(&[Some(1)]), [2]);
        assert_eq!(lanes_per_writer(&[Some(1), Some(2), Some(3)]), [2, 2, 2]);
        assert_eq!(lanes_per_writer(&[Some(1), Some(1), Some(2)]), [1, 1, 2]);
        assert_eq!(lanes_per_writer(&[Some(7), Some(7), Some(7)]), [1, 1, 1]);
        // A destination whose device is unknown is counted on its own.
        assert_eq!(lanes_per_writer(&[None, None]), [2, 2]);
    }
}
