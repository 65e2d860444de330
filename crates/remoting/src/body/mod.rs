//! JSON bodies of the protocol (route data, cluster info, registration, heartbeat, stats), in
//! the shapes fastjson writes and reads.
