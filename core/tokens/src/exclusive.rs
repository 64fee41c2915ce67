//! State one caller at a time may change through a shared reference: a
//! tokenizer's reusable buffers and memo.

/// A `Mutex` where threads exist (`std`), a `RefCell` in single-threaded
/// WebAssembly hosts. A caller that finds it busy gets `None` and does
/// without, never waits.
#[cfg(feature = "std")]
#[derive(Default)]
pub(super) struct Exclusive<T>(std::sync::Mutex<T>);
#[cfg(not(feature = "std"))]
#[derive(Default)]
pub(super) struct Exclusive<T>(core::cell::RefCell<T>);

impl<T> Exclusive<T> {
    pub(super) fn with<R>(&self, f: impl FnOnce(Option<&mut T>) -> R) -> R {
        #[cfg(feature = "std")]
        let state = self.0.try_lock().ok();
        #[cfg(not(feature = "std"))]
        let state = self.0.try_borrow_mut().ok();
        match state {
            Some(mut state) => f(Some(&mut state)),
            None => f(None),
        }
    }
}
