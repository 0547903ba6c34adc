//! A writer a session prints into and the test reads back.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

/// What a session printed: clones share the bytes.
#[derive(Clone, Default)]
pub struct Output(Rc<RefCell<Vec<u8>>>);

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Output {
    /// Everything printed so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.borrow().clone()).expect("UTF-8")
    }

    /// Forget what was printed.
    pub fn clear(&self) {
        self.0.borrow_mut().clear();
    }
}
