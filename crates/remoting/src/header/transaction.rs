//! Transaction headers.

use crate::command_header;

command_header! {
    /// END_TRANSACTION (37).
    pub struct EndTransactionRequestHeader {
        /// Topic (5.x).
        pub topic: Option<String> = "topic",
        /// Producer group of the half message.
        pub producer_group: String = "producerGroup",
        /// Queue offset of the half message.
        pub tran_state_table_offset: i64 = "tranStateTableOffset",
        /// Commit-log offset of the half message.
        pub commit_log_offset: i64 = "commitLogOffset",
        /// 0 unknown, 8 commit, 12 rollback.
        pub commit_or_rollback: i32 = "commitOrRollback",
        /// Whether this answers a check.
        pub from_transaction_check: Option<bool> = "fromTransactionCheck",
        /// Unique message id.
        pub msg_id: String = "msgId",
        /// Transaction id.
        pub transaction_id: Option<String> = "transactionId",
    }
}

command_header! {
    /// CHECK_TRANSACTION_STATE (39), broker to producer.
    pub struct CheckTransactionStateRequestHeader {
        /// Topic (5.x).
        pub topic: Option<String> = "topic",
        /// Queue offset of the half message.
        pub tran_state_table_offset: i64 = "tranStateTableOffset",
        /// Commit-log offset of the half message.
        pub commit_log_offset: i64 = "commitLogOffset",
        /// Unique message id.
        pub msg_id: Option<String> = "msgId",
        /// Transaction id.
        pub transaction_id: Option<String> = "transactionId",
        /// Offset message id.
        pub offset_msg_id: Option<String> = "offsetMsgId",
    }
}
