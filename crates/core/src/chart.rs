//! Chart data shared by every front end: downsampling a series to a panel's
//! width, and the markers (deploys, approvals, promotions, rollbacks) drawn
//! on a timeline. (Being written: issue 10.)
