//! ACL 2.0 administration headers (AUTH_* codes 3001–3010, RocketMQ 5.3+). Every field is
//! optional on the wire, as in RocketMQ's headers; the broker answers a missing one itself.

use crate::command_header;

command_header! {
    /// AUTH_CREATE_USER, AUTH_UPDATE_USER, AUTH_DELETE_USER, AUTH_GET_USER (3001–3004).
    pub struct UserRequestHeader {
        /// The user's name.
        pub username: Option<String> = "username",
    }
}

command_header! {
    /// AUTH_LIST_USER (3005).
    pub struct ListUsersRequestHeader {
        /// Only users whose name contains this.
        pub filter: Option<String> = "filter",
    }
}

command_header! {
    /// AUTH_CREATE_ACL, AUTH_UPDATE_ACL, AUTH_GET_ACL (3006, 3007, 3009).
    pub struct AclRequestHeader {
        /// The subject, `User:name`.
        pub subject: Option<String> = "subject",
    }
}

command_header! {
    /// AUTH_DELETE_ACL (3008).
    pub struct DeleteAclRequestHeader {
        /// The subject, `User:name`.
        pub subject: Option<String> = "subject",
        /// `Custom` (default) or `Default`.
        pub policy_type: Option<String> = "policyType",
        /// One resource's entry to delete (`Topic:t`); absent = the subject's whole ACL.
        pub resource: Option<String> = "resource",
    }
}

command_header! {
    /// AUTH_LIST_ACL (3010).
    pub struct ListAclsRequestHeader {
        /// Only subjects whose key contains this.
        pub subject_filter: Option<String> = "subjectFilter",
        /// Only entries whose resource contains this.
        pub resource_filter: Option<String> = "resourceFilter",
    }
}
